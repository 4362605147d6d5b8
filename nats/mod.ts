/**
 * NATS connections for Deno: {@linkcode connect} dials `@nats-io/nats-core`
 * over Deno's own TCP and TLS sockets (`Deno.connect`, `Deno.startTls`,
 * `Deno.connectTls`), so a refused login or a dropped server is an error to
 * handle, never a crash of the process.
 *
 * @example
 * ```ts ignore
 * import { connect, type NatsConnection } from "./mod.ts";
 *
 * const nc: NatsConnection = await connect({ servers: "127.0.0.1:4222" });
 * await nc.close();
 * ```
 *
 * @module
 */
export { connect } from "./connect.ts";
export { isAuthRefusal } from "./auth_refusal.ts";
export {
  DEFAULT_NATS_PORT,
  type ParsedServerUrls,
  parseServerUrl,
  parseServerUrls,
  redactServerUrl,
  ServerScheme,
  type ServerUrl,
  ServerUrlError,
  type UrlCredentials,
} from "./servers.ts";
export {
  type AuthConnectionOptions,
  authConnectionOptions,
  type AuthConnectionOptionsOptions,
  type CredsFile,
  type NatsAuth,
  NatsAuthError,
  type NatsAuthErrorOptions,
  type NatsAuthSetting,
  parseCredsFile,
  readCredsFile,
} from "./auth.ts";
export {
  readTokenFile,
  readTokenFileSync,
  tokenFileAuthenticator,
  type TokenFileAuthenticatorOptions,
} from "./token_file.ts";
export {
  checkTlsSettings,
  MUTUAL_TLS_NEEDS_HANDSHAKE_FIRST,
  NatsTlsError,
  type NatsTlsErrorOptions,
  type NatsTlsFiles,
  type NatsTlsSetting,
  type TlsConnectionOptions,
  tlsConnectionOptions,
  type TlsSettingsOptions,
} from "./tls.ts";
export type {
  Authenticator,
  ConnectionOptions,
  Msg,
  MsgHdrs,
  NatsConnection,
  Subscription,
  TlsOptions,
} from "./core_types.ts";
export * from "./stream.ts";
