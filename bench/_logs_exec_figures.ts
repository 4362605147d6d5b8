// The JSON keys of the logs and exec bench, from its samples. Pure.
import { median, mibPerSecond } from "./stats.ts";

/** What the logs and exec bench measured, in milliseconds. */
export interface LogsExecSamples {
  /** The size of the log read, in bytes. */
  logBytes: number;
  /** Each whole read of the log through `FleetCommandsClient.logs()`. */
  agentLogsMs: number[];
  /** Each whole read of the log straight from the podman API. */
  podmanLogsMs: number[];
  /** Each `exec true` through `FleetCommandsClient.exec()`. */
  agentExecMs: number[];
  /** Each `exec true` straight through the podman API. */
  podmanExecMs: number[];
}

/** The bench's JSON keys for logs and exec; `null` when not measured. */
export interface LogsExecFigures {
  /** MiB/s of the fastest read through the agent. */
  logs_mb_s: number | null;
  /** MiB/s of the fastest read straight from podman. */
  podman_logs_mb_s: number | null;
  /** `logs_mb_s / podman_logs_mb_s`. */
  logs_vs_podman: number | null;
  /** p50 of `exec true` through the agent, in ms. */
  exec_p50_ms: number | null;
  /** p50 of `exec true` straight through podman, in ms. */
  podman_exec_p50_ms: number | null;
  /** `exec_p50_ms / podman_exec_p50_ms`. */
  exec_vs_podman_p50: number | null;
}

const round1 = (value: number) => Math.round(value * 10) / 10;
const round3 = (value: number) => Math.round(value * 1000) / 1000;

/**
 * The figures of `samples`: throughput of the fastest read each way, p50
 * of exec each way, ratios of the unrounded values; all `null` when there
 * are no samples.
 *
 * @example
 * ```ts
 * import { logsExecFigures } from "./_logs_exec_figures.ts";
 * logsExecFigures(undefined).logs_mb_s; // null
 * ```
 */
export function logsExecFigures(
  samples: LogsExecSamples | undefined,
): LogsExecFigures {
  if (samples === undefined) {
    return {
      logs_mb_s: null,
      podman_logs_mb_s: null,
      logs_vs_podman: null,
      exec_p50_ms: null,
      podman_exec_p50_ms: null,
      exec_vs_podman_p50: null,
    };
  }
  // A read is long (seconds): the fastest of a few says what the path can
  // do; the slower ones say how loaded the machine was.
  const logs = mibPerSecond(samples.logBytes, Math.min(...samples.agentLogsMs));
  const podmanLogs = mibPerSecond(
    samples.logBytes,
    Math.min(...samples.podmanLogsMs),
  );
  const exec = median(samples.agentExecMs);
  const podmanExec = median(samples.podmanExecMs);
  return {
    logs_mb_s: round1(logs),
    podman_logs_mb_s: round1(podmanLogs),
    logs_vs_podman: round3(logs / podmanLogs),
    exec_p50_ms: round3(exec),
    podman_exec_p50_ms: round3(podmanExec),
    exec_vs_podman_p50: round3(exec / podmanExec),
  };
}
