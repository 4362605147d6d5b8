/**
 * The end-to-end harness of `@harmony/fleet`: nats-server provisioning (find
 * or install a binary ≥ 2.10, render its config, run it as an
 * `AsyncDisposable` process).
 *
 * @example
 * ```ts ignore
 * import { NatsServerProcess } from "@harmony/fleet/e2e";
 * await using server = await NatsServerProcess.start({
 *   dir: await Deno.makeTempDir(),
 *   config: { admin: { user: "admin", password: "s3cret" } },
 * });
 * console.log(server.url);
 * ```
 *
 * @module
 */
export {
  findNatsServer,
  type FindNatsServerOptions,
  fleetCacheDir,
  NATS_SERVER_BIN_ENV,
  NatsServerNotFoundError,
} from "./nats_server_binary.ts";
export {
  type Credentials,
  type DeviceUser,
  type NatsServerConfigOptions,
  quoteNatsConfigString,
  renderNatsServerConfig,
} from "./nats_server_config.ts";
export {
  NatsServerProcess,
  type NatsServerProcessOptions,
  NatsServerStartError,
} from "./nats_server_process.ts";
