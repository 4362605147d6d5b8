/**
 * The `@nats-io/nats-core` types that this package's API takes and returns,
 * under the same names. Each is an alias, so values pass freely between
 * this package and nats-core; their members are documented by nats-core.
 *
 * @module
 */
import type * as core from "@nats-io/nats-core";

/**
 * A connection to NATS, as {@linkcode connect} returns it: nats-core's
 * `NatsConnection` (`publish`, `subscribe`, `request`, `requestMany`,
 * `flush`, `status`, `drain`, `close`, …).
 *
 * @example
 * ```ts
 * import type { NatsConnection } from "./core_types.ts";
 * async function ask(nc: NatsConnection): Promise<string> {
 *   const reply = await nc.request("device-commands.d-17.ping", "", { timeout: 1_000 });
 *   return reply.string();
 * }
 * ```
 */
export type NatsConnection = core.NatsConnection;

/**
 * The options of {@linkcode connect}: nats-core's `ConnectionOptions`
 * (`servers`, `user`, `pass`, `token`, `authenticator`, `tls`, `timeout`,
 * `reconnect`, `maxReconnectAttempts`, `noRandomize`, `resolve`, …).
 *
 * @example
 * ```ts
 * import type { ConnectionOptions } from "./core_types.ts";
 * const options: ConnectionOptions = {
 *   servers: ["tls://nats-1.example.com", "tls://nats-2.example.com"],
 *   tls: { caFile: "/etc/fleet/ca.pem" },
 *   timeout: 5_000,
 * };
 * ```
 */
export type ConnectionOptions = core.ConnectionOptions;

/**
 * The `tls` connection option: nats-core's `TlsOptions` (`caFile`/`ca`,
 * `certFile`/`cert`, `keyFile`/`key`, `handshakeFirst`). A client
 * certificate needs `handshakeFirst: true` (see `DenoTransport`).
 *
 * @example
 * ```ts
 * import type { TlsOptions } from "./core_types.ts";
 * const tls: TlsOptions = {
 *   caFile: "/etc/fleet/ca.pem",
 *   certFile: "/etc/fleet/device.pem",
 *   keyFile: "/etc/fleet/device.key",
 *   handshakeFirst: true,
 * };
 * ```
 */
export type TlsOptions = core.TlsOptions;

/**
 * A message received: nats-core's `Msg` (`subject`, `data`, `headers`,
 * `string()`, `json()`, `respond()`).
 *
 * @example
 * ```ts
 * import type { Msg } from "./core_types.ts";
 * const text = (msg: Msg): string => msg.string();
 * ```
 */
export type Msg = core.Msg;

/**
 * Message headers: nats-core's `MsgHdrs` (`get`, `set`, `has`, `code`,
 * `description`).
 *
 * @example
 * ```ts
 * import type { MsgHdrs } from "./core_types.ts";
 * const requestId = (h: MsgHdrs): string => h.get("X-Harmony-Request-Id");
 * ```
 */
export type MsgHdrs = core.MsgHdrs;

/**
 * A subscription: nats-core's `Subscription`, an async iterable of
 * {@linkcode Msg} with `unsubscribe()` and `drain()`.
 *
 * @example
 * ```ts
 * import type { Subscription } from "./core_types.ts";
 * async function first(sub: Subscription): Promise<string | undefined> {
 *   for await (const msg of sub) return msg.string();
 * }
 * ```
 */
export type Subscription = core.Subscription;

/**
 * What nats-core calls for the credentials of each CONNECT (the first
 * connect and every reconnect): nats-core's `Authenticator`, e.g.
 * {@linkcode tokenFileAuthenticator}.
 *
 * @example
 * ```ts
 * import type { Authenticator } from "./core_types.ts";
 * const fixed: Authenticator = () => ({ auth_token: "t0ken" });
 * ```
 */
export type Authenticator = core.Authenticator;
