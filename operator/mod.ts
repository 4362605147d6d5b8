/**
 * The operator side of `@harmony/fleet`: {@linkcode FleetCommandsClient},
 * which sends commands to devices' agents over NATS request/reply and
 * rejects with typed {@linkcode CommandError}s — `ping()`, `logs()` (a
 * container's log as a {@linkcode CommandStream} of chunks), `exec()` (a
 * command's exit code and output) and `execStream()` — and the `fleet`
 * CLI ({@linkcode runCli}: `fleet ping`, `fleet logs`, `fleet exec`; exit
 * codes in {@linkcode ExitCode}).
 *
 * @example
 * ```ts ignore
 * import { connect } from "@harmony/fleet/nats";
 * import { DeviceOfflineError, FleetCommandsClient } from "@harmony/fleet/operator";
 *
 * const nc = await connect({ servers: "nats://127.0.0.1:4222" });
 * const client = new FleetCommandsClient(nc, { timeoutMs: 2000 });
 * try {
 *   const reply = await client.ping("vm-device-00");
 *   console.log(`${reply.device_id} up for ${reply.uptime_s}s`);
 * } catch (error) {
 *   if (error instanceof DeviceOfflineError) console.log("offline");
 *   else throw error;
 * } finally {
 *   await nc.close();
 * }
 * ```
 *
 * @example
 * ```ts ignore
 * for await (const { stream, data } of client.logs("vm-device-00", { container: "web", tail: 10 })) {
 *   (stream === "stdout" ? Deno.stdout : Deno.stderr).writeSync(data);
 * }
 * const { exitCode, stdout } = await client.exec("vm-device-00", {
 *   container: "web", cmd: ["sh", "-c", "echo hi; exit 3"],
 * }); // 3, "hi\n" as bytes
 * ```
 *
 * @module
 */
export {
  type CommandOptions,
  FleetCommandsClient,
  type FleetCommandsClientOptions,
  type StreamCommandOptions,
} from "./client.ts";
export {
  type ExecCompleted,
  type ExecOptions,
  type ExecResult,
  type ExecTruncated,
} from "./exec.ts";
export { type LogsOptions } from "./logs.ts";
export {
  type CheckedStreamCommand,
  checkStreamCommand,
  CommandStream,
  type CommandStreamOptions,
  openCommandStream,
  type StreamCommand,
} from "./command_stream.ts";
export {
  BadReplyError,
  type BadReplyErrorOptions,
  CommandError,
  type CommandErrorOptions,
  CommandTimeoutError,
  type CommandTimeoutErrorOptions,
  DeviceOfflineError,
  type EarlyEnd,
  type ExecOutput,
  NatsTransportError,
  RemoteCommandError,
  type RemoteCommandErrorOptions,
  StreamEndedEarlyError,
  type StreamEndedEarlyErrorOptions,
  StreamInterruptedError,
  type StreamInterruptedErrorOptions,
  type StreamInterruption,
} from "./errors.ts";
export { MAX_TIMEOUT_MS } from "./timeout.ts";
export {
  ASSUMED_HEARTBEAT_INTERVAL_S,
  type DeviceListing,
  type DeviceRecord,
  type DevicesOptions,
  DeviceStatus,
  listDeviceRegistry,
  listDevices,
  STALE_AFTER_INTERVALS,
} from "./devices.ts";
export {
  deviceRegistryConfig,
  type DeviceRegistryOptions,
  type DeviceRegistryResult,
  type DeviceRegistryStreamConfig,
  ensureDeviceRegistry,
  type EnsureDeviceRegistryOptions,
} from "./registry.ts";
export {
  RegistryError,
  type RegistryErrorOptions,
  RegistryFailure,
} from "./registry_errors.ts";
export {
  type CliWriter,
  ExitCode,
  runCli,
  type RunCliOptions,
} from "./cli/mod.ts";
