import type { FanoutSummary } from "../fanout.ts";
import type { PingResult } from "./ping_results.ts";
import {
  BadReplyError,
  type CommandError,
  CommandTimeoutError,
  DeviceOfflineError,
  RemoteCommandError,
} from "../errors.ts";

/**
 * Uptime in seconds as people read it: `42s`, `3m12s`, `2h5m0s`, `3d4h0m9s`.
 *
 * @example
 * ```ts
 * import { formatUptime } from "./ping_output.ts";
 * formatUptime(192); // "3m12s"
 * ```
 */
export function formatUptime(seconds: number): string {
  let rest = Math.max(0, Math.floor(seconds));
  const days = Math.floor(rest / 86_400);
  rest -= days * 86_400;
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  const secs = rest - minutes * 60;
  if (days > 0) return `${days}d${hours}h${minutes}m${secs}s`;
  if (hours > 0) return `${hours}h${minutes}m${secs}s`;
  if (minutes > 0) return `${minutes}m${secs}s`;
  return `${secs}s`;
}

/**
 * A round-trip time in milliseconds with one decimal: `0.4ms`.
 *
 * @example
 * ```ts
 * import { formatRtt } from "./ping_output.ts";
 * formatRtt(12.345); // "12.3ms"
 * ```
 */
export function formatRtt(ms: number): string {
  return `${ms.toFixed(1)}ms`;
}

const COLUMNS = ["DEVICE", "STATUS", "RTT", "VERSION", "UPTIME", "RUNTIME"];

/**
 * The table `fleet ping` prints: one row per device, `-` where a device
 * gave no value; columns separated by two spaces; ends with a newline.
 *
 * @example
 * ```ts ignore
 * import { renderPingTable } from "./ping_output.ts";
 * console.log(renderPingTable(results));
 * // DEVICE        STATUS   RTT    VERSION  UPTIME  RUNTIME
 * // vm-device-00  ok       0.4ms  0.1.0    3m12s   disabled
 * // vm-device-01  offline  -      -        -       -
 * ```
 */
export function renderPingTable(results: readonly PingResult[]): string {
  const rows = results.map((result) =>
    result.status === "ok"
      ? [
        result.deviceId,
        result.status,
        formatRtt(result.rttMs),
        result.reply.agent_version,
        formatUptime(result.reply.uptime_s),
        result.reply.runtime,
      ]
      : [result.deviceId, result.status, "-", "-", "-", "-"]
  );
  const all = [COLUMNS, ...rows];
  const widths = COLUMNS.map((_, i) =>
    Math.max(...all.map((row) => row[i].length))
  );
  return all.map((row) =>
    row.map((cell, i) => i === row.length - 1 ? cell : cell.padEnd(widths[i]))
      .join("  ")
  ).join("\n") + "\n";
}

/**
 * One line per device that did not answer, saying why, e.g.
 * `d-17: offline (no responders)` or `d-18: timed out after 5000 ms`;
 * empty when every device answered.
 *
 * @example
 * ```ts ignore
 * import { renderPingFailures } from "./ping_output.ts";
 * Deno.stderr.writeSync(new TextEncoder().encode(renderPingFailures(results)));
 * ```
 */
export function renderPingFailures(results: readonly PingResult[]): string {
  let text = "";
  for (const result of results) {
    if (result.status !== "ok") {
      text += `${result.deviceId}: ${failureReason(result.error)}\n`;
    }
  }
  return text;
}

/**
 * The last line of a fan-out: how many devices answered, then every one
 * that did not, by name, in the order targeted; empty lists are left out:
 * `8 of 10 answered; offline: d-3; timed out: d-7; errored: d-9`.
 *
 * @example
 * ```ts
 * import { renderFanoutSummary } from "./ping_output.ts";
 * renderFanoutSummary({ targeted: 3, answered: ["a"], offline: ["b", "c"], timedOut: [], errored: [] });
 * // "1 of 3 answered; offline: b, c\n"
 * ```
 */
export function renderFanoutSummary(summary: FanoutSummary): string {
  let line = `${summary.answered.length} of ${summary.targeted} answered`;
  const lists: [string, readonly string[]][] = [
    ["offline", summary.offline],
    ["timed out", summary.timedOut],
    ["errored", summary.errored],
  ];
  for (const [name, ids] of lists) {
    if (ids.length > 0) line += `; ${name}: ${ids.join(", ")}`;
  }
  return `${line}\n`;
}

function failureReason(error: CommandError): string {
  if (error instanceof DeviceOfflineError) return "offline (no responders)";
  if (error instanceof CommandTimeoutError) {
    return `timed out after ${error.timeoutMs} ms`;
  }
  if (error instanceof RemoteCommandError) {
    return `error reply ${error.kind} (${error.code})${
      error.remoteMessage ? `: ${error.remoteMessage}` : ""
    }`;
  }
  if (error instanceof BadReplyError) {
    return `bad reply: ${error.cause.message}`;
  }
  return `connection error: ${error.message}`;
}

/** One element of the array `fleet ping --json` prints. */
export interface PingResultJson {
  /** The device pinged. */
  device_id: string;
  /** Whether it answered with a ping reply. */
  ok: boolean;
  /** Round-trip time in milliseconds, or `null` when it did not answer. */
  rtt_ms: number | null;
  /** The agent's reply, when `ok`. */
  reply?: {
    device_id: string;
    agent_version: string;
    uptime_s: number;
    runtime: string;
  };
  /** What went wrong, when not `ok`. */
  error?: {
    /** `offline`, `timeout`, `remote_error`, `bad_reply` or `transport_error`. */
    type: string;
    /** The client error's message. */
    message: string;
    /** The error kind of a `remote_error`. */
    kind?: string;
    /** The error code of a `remote_error`. */
    code?: number;
  };
}

/**
 * The JSON form of `fleet ping` results: an array in the order pinged.
 *
 * @example
 * ```ts ignore
 * import { pingResultsJson } from "./ping_output.ts";
 * console.log(JSON.stringify(pingResultsJson(results)));
 * ```
 */
export function pingResultsJson(
  results: readonly PingResult[],
): PingResultJson[] {
  return results.map((result): PingResultJson => {
    if (result.status === "ok") {
      return {
        device_id: result.deviceId,
        ok: true,
        rtt_ms: Math.round(result.rttMs * 1000) / 1000,
        reply: result.reply,
      };
    }
    const { error } = result;
    return {
      device_id: result.deviceId,
      ok: false,
      rtt_ms: null,
      error: error instanceof RemoteCommandError
        ? {
          type: result.status,
          message: error.message,
          kind: error.kind,
          code: error.code,
        }
        : { type: result.status, message: error.message },
    };
  });
}
