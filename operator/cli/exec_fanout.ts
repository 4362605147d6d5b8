import type { FleetCommandsClient } from "../client.ts";
import { CommandError, StreamEndedEarlyError } from "../errors.ts";
import type { ExecOptions, ExecResult } from "../exec.ts";
import { fanOut, type FanoutOutcome, type FanoutSummary } from "../fanout.ts";
import { ExitCode } from "./exit_codes.ts";
import { type ExecResultJson, execResultJson } from "./exec_json.ts";
import { renderFanoutSummary } from "./ping_output.ts";
import { commandErrorJson } from "./stream_failure.ts";
import type { CliWriter } from "./writer.ts";

/** Options of {@linkcode execFanout}. */
export interface ExecFanoutOptions {
  /** At most this many devices' commands in flight. */
  concurrency: number;
  /** Print one JSON array at the end instead of prefixed lines. */
  json: boolean;
  /** Where output goes. */
  stdout: CliWriter;
  /** Where stderr output, failures and the summary go. */
  stderr: CliWriter;
  /** Ctrl-C: stops the fan-out (in-flight commands get `cancel`). */
  signal: AbortSignal;
}

/** One element of the array `fleet exec --json` prints for several devices. */
export type ExecFanoutJson =
  | ({ device_id: string; ok: true } & ExecResultJson)
  | {
    device_id: string;
    ok: false;
    error: ReturnType<typeof commandErrorJson>["error"];
  };

const decoder = new TextDecoder();

/**
 * `fleet exec` on several devices (a glob, `--all`, `-l`): runs the
 * command on each, at most `concurrency` at a time, and as each finishes
 * writes its output, every line prefixed with `<device-id>: ` (stdout to
 * stdout, stderr to stderr, as `pdsh` does), then on stderr a line for a
 * device that did not run it or exited non-zero, and at the end the
 * summary: `N of M answered; offline: …; timed out: …; errored: …;
 * exit code ≠ 0: d (3)`. With `json`, one array in target order instead.
 *
 * Resolves with the exit code: when every device ran it, the largest exit
 * code (0 when all exited 0; 125 when an output was cut at
 * `--limit-bytes`); otherwise 124 when every one that did not was a
 * timeout, else 125.
 *
 * @example
 * ```ts ignore
 * import { execFanout } from "./exec_fanout.ts";
 * const code = await execFanout(client, ["d1", "d2"], { host: true, cmd: ["uptime"] },
 *   { concurrency: 256, json: false, stdout, stderr, signal });
 * ```
 */
export async function execFanout(
  client: FleetCommandsClient,
  targets: readonly string[],
  options: ExecOptions & ExecFanoutOptions,
): Promise<number> {
  const { concurrency, json, stdout, stderr, signal, ...exec } = options;
  const fanout = fanOut(
    targets,
    (deviceId, stop) => client.exec(deviceId, { ...exec, signal: stop }),
    { concurrency, signal },
  );
  const outcomes = new Map<string, FanoutOutcome<ExecResult>>();
  for await (const outcome of fanout) {
    outcomes.set(outcome.deviceId, outcome);
    if (!json) writeOutcome(outcome, stdout, stderr);
  }
  const summary = fanout.summary!;
  const ordered = fanout.deviceIds.map((id) => outcomes.get(id)!);
  if (json) {
    stdout.write(`${JSON.stringify(ordered.map(outcomeJson))}\n`);
  }
  stderr.write(renderExecSummary(summary, ordered));
  return exitCodeOf(ordered);
}

function outcomeJson(outcome: FanoutOutcome<ExecResult>): ExecFanoutJson {
  if (outcome.status === "answered") {
    return {
      device_id: outcome.deviceId,
      ok: true,
      ...execResultJson(outcome.value),
    };
  }
  const error = outcome.error;
  if (!(error instanceof CommandError)) throw error;
  return {
    device_id: outcome.deviceId,
    ok: false,
    error: commandErrorJson(error).error,
  };
}

function writeOutcome(
  outcome: FanoutOutcome<ExecResult>,
  stdout: CliWriter,
  stderr: CliWriter,
): void {
  const id = outcome.deviceId;
  if (outcome.status !== "answered") {
    const error = outcome.error;
    if (!(error instanceof CommandError)) throw error;
    if (error instanceof StreamEndedEarlyError && error.output) {
      stdout.write(prefixLines(id, error.output.stdout));
      stderr.write(prefixLines(id, error.output.stderr));
    }
    stderr.write(`${id}: ${error.message}\n`);
    return;
  }
  const result = outcome.value;
  stdout.write(prefixLines(id, result.stdout));
  stderr.write(prefixLines(id, result.stderr));
  if (result.truncated) {
    stderr.write(
      `${id}: the output reached --limit-bytes; the agent stopped the command\n`,
    );
  } else if (result.exitCode !== 0) {
    stderr.write(`${id}: exit code ${result.exitCode}\n`);
  }
}

/**
 * `bytes` as lines, each prefixed with `<id>: `; a last line without its
 * newline gets one. Empty for no bytes.
 *
 * @example
 * ```ts
 * import { prefixLines } from "./exec_fanout.ts";
 * prefixLines("d1", new TextEncoder().encode("a\nb")); // "d1: a\nd1: b\n"
 * ```
 */
export function prefixLines(id: string, bytes: Uint8Array): string {
  if (bytes.length === 0) return "";
  const text = decoder.decode(bytes);
  const lines = text.endsWith("\n")
    ? text.slice(0, -1).split("\n")
    : text.split("\n");
  return lines.map((line) => `${id}: ${line}\n`).join("");
}

/**
 * The fan-out summary of `fleet exec`, with the devices that exited
 * non-zero (or whose output was cut) added: `…; exit code ≠ 0: d2 (3), d3
 * (cut at --limit-bytes)`.
 *
 * @example
 * ```ts ignore
 * renderExecSummary(summary, outcomes); // "2 of 2 answered; exit code ≠ 0: d2 (3)\n"
 * ```
 */
export function renderExecSummary(
  summary: FanoutSummary,
  outcomes: readonly FanoutOutcome<ExecResult>[],
): string {
  const nonZero: string[] = [];
  for (const outcome of outcomes) {
    if (outcome.status !== "answered") continue;
    const { truncated, exitCode } = outcome.value;
    if (truncated) {
      nonZero.push(`${outcome.deviceId} (cut at --limit-bytes)`);
    } else if (exitCode !== 0) {
      nonZero.push(`${outcome.deviceId} (${exitCode})`);
    }
  }
  const line = renderFanoutSummary(summary).trimEnd();
  return nonZero.length === 0
    ? `${line}\n`
    : `${line}; exit code ≠ 0: ${nonZero.join(", ")}\n`;
}

function exitCodeOf(outcomes: readonly FanoutOutcome<ExecResult>[]): number {
  let highest = 0;
  let failed = false;
  let allTimeouts = true;
  for (const outcome of outcomes) {
    if (outcome.status === "answered") {
      const { truncated, exitCode } = outcome.value;
      const code = truncated || exitCode === undefined ||
          exitCode < 0 || exitCode > 255
        ? ExitCode.Failed
        : exitCode;
      highest = Math.max(highest, code);
    } else {
      failed = true;
      if (outcome.status !== "timed_out") allTimeouts = false;
    }
  }
  if (failed) return allTimeouts ? ExitCode.TimedOut : ExitCode.Failed;
  return highest;
}
