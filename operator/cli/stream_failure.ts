import { CommanderError } from "commander";
import {
  BadReplyError,
  CommandError,
  CommandTimeoutError,
  DeviceOfflineError,
  NatsTransportError,
  RemoteCommandError,
  StreamEndedEarlyError,
  StreamInterruptedError,
} from "../errors.ts";
import { ExitCode } from "./exit_codes.ts";
import { outputJson } from "./exec_json.ts";
import {
  type CliErrorJson,
  reportCliFailure,
  STREAM_FAILURE_CODES,
} from "./json_errors.ts";
import type { CliWriter } from "./writer.ts";

/** Options of {@linkcode reportStreamFailure}. */
export interface ReportStreamFailureOptions {
  /** Where the JSON object goes (with `json`). */
  stdout: CliWriter;
  /** Where the `error: …` line goes. */
  stderr: CliWriter;
  /** Whether `--json` was given. */
  json: boolean;
}

/**
 * The exit code of a `fleet logs` or `fleet exec` that failed with
 * `error` (see `ExitCode`): 124 for no reply in time or a `deadline` end,
 * 125 for anything else.
 *
 * @example
 * ```ts ignore
 * import { streamFailureCode } from "./stream_failure.ts";
 * streamFailureCode(new DeviceOfflineError({ deviceId: "d1", verb: "exec", requestId })); // 125
 * ```
 */
export function streamFailureCode(error: unknown): number {
  if (error instanceof CommandTimeoutError) return ExitCode.TimedOut;
  if (error instanceof StreamEndedEarlyError && error.reason === "deadline") {
    return ExitCode.TimedOut;
  }
  return ExitCode.Failed;
}

/**
 * The `--json` error object of a `fleet logs` or `fleet exec` command
 * that failed with a `CommandError` (`type` `offline`, `timeout`,
 * `remote_error` with `kind` and `code`, `ended_early` with `reason` — and
 * for `exec` the output that arrived —, `stream_interrupted` with `reason`,
 * `bad_reply`, `transport_error`), always with `device_id` and
 * `request_id`.
 *
 * @example
 * ```ts ignore
 * import { commandErrorJson } from "./stream_failure.ts";
 * commandErrorJson(error).error.type; // "offline"
 * ```
 */
export function commandErrorJson(error: CommandError): CliErrorJson {
  const base = {
    message: error.message,
    exit_code: streamFailureCode(error),
    device_id: error.deviceId,
    request_id: error.requestId,
  };
  if (error instanceof RemoteCommandError) {
    return {
      error: {
        type: "remote_error",
        ...base,
        kind: error.kind,
        code: error.code,
      },
    };
  }
  if (error instanceof StreamEndedEarlyError) {
    return {
      error: {
        type: "ended_early",
        ...base,
        reason: error.reason,
        ...(error.output === undefined ? {} : outputJson(error.output)),
      },
    };
  }
  if (error instanceof StreamInterruptedError) {
    return {
      error: { type: "stream_interrupted", ...base, reason: error.reason },
    };
  }
  const type = error instanceof DeviceOfflineError
    ? "offline"
    : error instanceof CommandTimeoutError
    ? "timeout"
    : error instanceof BadReplyError
    ? "bad_reply"
    : error instanceof NatsTransportError
    ? "transport_error"
    : "transport_error";
  return { error: { type, ...base } };
}

/**
 * Reports the failure of a `fleet logs` or `fleet exec` command and
 * returns its exit code: one `error: …` line on stderr and, with `json`,
 * one error object on stdout. A `CommandError` gets
 * {@linkcode commandErrorJson}; a usage, connection or unexpected error
 * the same report as any command, with exit code 125.
 *
 * @example
 * ```ts ignore
 * import { reportStreamFailure } from "./stream_failure.ts";
 * return reportStreamFailure(error, { stdout, stderr, json: false });
 * ```
 */
export function reportStreamFailure(
  error: unknown,
  options: ReportStreamFailureOptions,
): number {
  if (!(error instanceof CommandError) || error instanceof CommanderError) {
    return reportCliFailure(error, { ...options, codes: STREAM_FAILURE_CODES });
  }
  const hint = error instanceof StreamEndedEarlyError &&
      error.reason === "deadline"
    ? " (give it more time with --timeout)"
    : "";
  options.stderr.write(`error: ${error.message}${hint}\n`);
  const json = commandErrorJson(error);
  if (options.json) options.stdout.write(`${JSON.stringify(json)}\n`);
  return json.error.exit_code;
}

/**
 * Reports the end of a `fleet logs` or `fleet exec` command by a signal
 * or a closed output, and returns its exit code: nothing on stderr (it is
 * what was asked for), with `json` an error object of type `signal` or
 * `output_closed`.
 *
 * @example
 * ```ts ignore
 * import { reportStopped } from "./stream_failure.ts";
 * return reportStopped("SIGINT", 130, { stdout, stderr, json: true });
 * ```
 */
export function reportStopped(
  why: "SIGINT" | "SIGTERM" | "output_closed",
  exitCode: number,
  options: ReportStreamFailureOptions,
): number {
  if (options.json) {
    const json: CliErrorJson = why === "output_closed"
      ? {
        error: {
          type: "output_closed",
          message: "the reader of the output went away; cancel was sent",
          exit_code: exitCode,
        },
      }
      : {
        error: {
          type: "signal",
          message: `stopped by ${why}; cancel was sent`,
          exit_code: exitCode,
          signal: why,
        },
      };
    options.stdout.write(`${JSON.stringify(json)}\n`);
  }
  return exitCode;
}
