import { ErrorKind, type PingReply } from "../../contracts/mod.ts";
import type { FleetCommandsClient } from "../client.ts";
import { type FanoutSummary, pingFanout } from "../fanout.ts";
import { ExitCode } from "./exit_codes.ts";
import {
  BadReplyError,
  CommandError,
  CommandTimeoutError,
  DeviceOfflineError,
  RemoteCommandError,
} from "../errors.ts";

/** How a ping of one device ended, as `fleet ping` reports it. */
export type PingStatus =
  | "ok"
  | "offline"
  | "timeout"
  | "remote_error"
  | "bad_reply"
  | "transport_error";

/** A device that answered. */
export interface PingSuccess {
  /** The device pinged. */
  deviceId: string;
  /** Always `"ok"`. */
  status: "ok";
  /** Round-trip time of the request, in milliseconds. */
  rttMs: number;
  /** What the agent answered. */
  reply: PingReply;
}

/** A device that did not answer, or answered with an error. */
export interface PingFailure {
  /** The device pinged. */
  deviceId: string;
  /** What went wrong. */
  status: Exclude<PingStatus, "ok">;
  /** The error the client rejected with. */
  error: CommandError;
}

/** The outcome of pinging one device. */
export type PingResult = PingSuccess | PingFailure;

/**
 * The {@linkcode PingStatus} a client error stands for. The agent's
 * `deadline_exceeded` reply is a `timeout`, as the fan-out summary counts
 * it: the device is there but did not answer in time (which of the two
 * comes first, the client's timer or the agent's reply, is a race).
 *
 * @example
 * ```ts ignore
 * import { pingStatusOf } from "./ping_results.ts";
 * pingStatusOf(error); // "offline" for a DeviceOfflineError
 * ```
 */
export function pingStatusOf(error: CommandError): Exclude<PingStatus, "ok"> {
  if (error instanceof DeviceOfflineError) return "offline";
  if (error instanceof CommandTimeoutError) return "timeout";
  if (error instanceof RemoteCommandError) {
    return error.kind === ErrorKind.DeadlineExceeded
      ? "timeout"
      : "remote_error";
  }
  if (error instanceof BadReplyError) return "bad_reply";
  return "transport_error";
}

/** Options of {@linkcode pingAll}. */
export interface PingAllOptions {
  /**
   * At most this many pings in flight.
   *
   * @default {DEFAULT_FANOUT_CONCURRENCY} (256)
   */
  concurrency?: number;
}

/**
 * Pings every device, at most `options.concurrency` at a time (a
 * fan-out, see `pingFanout`); never rejects for a device that fails (that
 * is a {@linkcode PingFailure}), only for errors that are not
 * {@linkcode CommandError}s. Results keep the order of `deviceIds`
 * (repeats dropped); the summary lists every device by outcome.
 *
 * @example
 * ```ts ignore
 * import { FleetCommandsClient } from "../client.ts";
 * import { pingAll } from "./ping_results.ts";
 * const { results, summary } = await pingAll(new FleetCommandsClient(nc), ["d1", "d2"]);
 * ```
 */
export async function pingAll(
  client: FleetCommandsClient,
  deviceIds: readonly string[],
  options: PingAllOptions = {},
): Promise<{ results: PingResult[]; summary: FanoutSummary }> {
  const { outcomes, summary } = await pingFanout(client, deviceIds, {
    concurrency: options.concurrency,
  }).collect();
  const results = outcomes.map((outcome): PingResult => {
    if (outcome.status === "answered") {
      return {
        deviceId: outcome.deviceId,
        status: "ok",
        rttMs: outcome.elapsedMs,
        reply: outcome.value,
      };
    }
    const { error } = outcome;
    if (!(error instanceof CommandError)) throw error;
    return { deviceId: outcome.deviceId, status: pingStatusOf(error), error };
  });
  return { results, summary };
}

/**
 * The exit code for a finished `fleet ping`: `Ok` when every device
 * answered; `Connection` when the connection itself failed for some device;
 * otherwise `NotAllAnswered` when any device did not answer or answered
 * with an error.
 *
 * @example
 * ```ts ignore
 * import { ExitCode } from "./exit_codes.ts";
 * import { exitCodeFor } from "./ping_results.ts";
 * exitCodeFor([]) === ExitCode.Ok; // true
 * ```
 */
export function exitCodeFor(results: readonly PingResult[]): ExitCode {
  let code: ExitCode = ExitCode.Ok;
  for (const result of results) {
    if (result.status === "transport_error") return ExitCode.Connection;
    if (result.status !== "ok") code = ExitCode.NotAllAnswered;
  }
  return code;
}
