import { CommanderError } from "commander";
import { redactServerUrl } from "../../nats/mod.ts";
import { CliConnectionError, CliUsageError } from "./errors.ts";
import { ExitCode } from "./exit_codes.ts";
import type { CliWriter } from "./writer.ts";

/**
 * What kind of failure ended the CLI: bad command line, no connection, or
 * a bug; for `logs` and `exec` also how the command failed (see
 * `streamFailureJson`).
 */
export type CliErrorType =
  | "usage"
  | "connection"
  | "internal"
  | "offline"
  | "timeout"
  | "remote_error"
  | "bad_reply"
  | "transport_error"
  | "stream_interrupted"
  | "ended_early"
  | "signal"
  | "output_closed";

/**
 * The exit codes of the failures every command can have: `fleet ping`'s
 * are 2, 3, 4 ({@linkcode PING_FAILURE_CODES}); `logs` and `exec` use 125
 * for all three ({@linkcode STREAM_FAILURE_CODES}), since a remote
 * command's exit code is theirs to pass on.
 */
export interface FailureCodes {
  /** A bad command line. */
  usage: number;
  /** No connection to NATS. */
  connection: number;
  /** A bug. */
  internal: number;
}

/** `fleet ping`'s {@linkcode FailureCodes}: 2, 3, 4. */
export const PING_FAILURE_CODES: FailureCodes = Object.freeze({
  usage: ExitCode.Usage,
  connection: ExitCode.Connection,
  internal: ExitCode.Internal,
});

/** `fleet logs`' and `fleet exec`'s {@linkcode FailureCodes}: 125 each. */
export const STREAM_FAILURE_CODES: FailureCodes = Object.freeze({
  usage: ExitCode.Failed,
  connection: ExitCode.Failed,
  internal: ExitCode.Failed,
});

/**
 * What `fleet … --json` prints on stdout when it fails before it has results
 * (one line): `{"error": {"type", "message", "exit_code", …}}`. Never
 * carries a password.
 */
export interface CliErrorJson {
  /** The failure. */
  error: {
    /** `usage` (exit 2), `connection` (exit 3) or `internal` (exit 4); for `logs` and `exec` see {@linkcode CliErrorType}. */
    type: CliErrorType;
    /** What went wrong, as the human line on stderr says it. */
    message: string;
    /** The exit code the CLI returns with it. */
    exit_code: number;
    /** Usage: where the bad value came from (`--server`, `NATS_URL`, a context field). */
    source?: string;
    /** Usage: the file at fault (a `.creds`, token, TLS or context file). */
    file?: string;
    /** Usage, from the command-line parser: its error code, e.g. `commander.unknownOption`; `remote_error`: the agent's error code, e.g. 404. */
    code?: string | number;
    /**
     * Connection: `authentication`, `tls`, `unreachable`, `timeout` or
     * `failed`; `ended_early`: the end (`deadline`, `cancelled`,
     * `abandoned`); `stream_interrupted`: `gap`, `no_end`, `lost`, `closed`.
     */
    reason?: string;
    /** Connection: the servers tried, without user info. */
    servers?: string[];
    /** `logs`, `exec`: the device of the command. */
    device_id?: string;
    /** `logs`, `exec`: the command's `X-Harmony-Request-Id`. */
    request_id?: string;
    /** `remote_error`: the agent's error kind, e.g. `not_found`. */
    kind?: string;
    /** `signal`: `SIGINT` or `SIGTERM`. */
    signal?: string;
    /** `exec` `ended_early`: the stdout that arrived (see `stdout_encoding`). */
    stdout?: string;
    /** `utf-8` (text) or `base64`. */
    stdout_encoding?: string;
    /** `exec` `ended_early`: the stderr that arrived (see `stderr_encoding`). */
    stderr?: string;
    /** `utf-8` (text) or `base64`. */
    stderr_encoding?: string;
  };
}

/**
 * The {@linkcode CliErrorJson} for an error that ended the CLI: a
 * `CliUsageError` or a command-line parser error is `usage`, a
 * `CliConnectionError` is `connection`, anything else is `internal` (its
 * name and message, no stack).
 *
 * @example
 * ```ts
 * import { cliErrorJson } from "./json_errors.ts";
 * import { CliUsageError } from "./errors.ts";
 * cliErrorJson(new CliUsageError("--password needs --user")).error.type; // "usage"
 * ```
 */
export function cliErrorJson(
  error: unknown,
  codes: FailureCodes = PING_FAILURE_CODES,
): CliErrorJson {
  if (error instanceof CliUsageError) {
    return {
      error: {
        type: "usage",
        message: error.message,
        exit_code: codes.usage,
        ...(error.source === undefined ? {} : { source: error.source }),
        ...(error.file === undefined ? {} : { file: error.file }),
      },
    };
  }
  if (error instanceof CommanderError) {
    return {
      error: {
        type: "usage",
        message: error.code === "commander.help"
          ? "no command given; see fleet --help"
          : redactServerUrl(error.message.replace(/^error: /, "")),
        exit_code: codes.usage,
        code: error.code,
      },
    };
  }
  if (error instanceof CliConnectionError) {
    return {
      error: {
        type: "connection",
        message: error.message,
        exit_code: codes.connection,
        reason: error.reason,
        servers: error.servers.split(","),
      },
    };
  }
  return {
    error: {
      type: "internal",
      message: redactServerUrl(
        error instanceof Error
          ? `${error.name}: ${error.message}`
          : String(error),
      ),
      exit_code: codes.internal,
    },
  };
}

/** Options of {@linkcode reportCliFailure}. */
export interface ReportCliFailureOptions {
  /** Where the JSON object goes (with `json`). */
  stdout: CliWriter;
  /** Where the human line goes. */
  stderr: CliWriter;
  /** Whether `--json` was given. */
  json: boolean;
  /**
   * The exit codes to use.
   *
   * @default {PING_FAILURE_CODES}
   */
  codes?: FailureCodes;
}

/**
 * Reports the error that ended the CLI and returns its exit code: one
 * `error: …` line on stderr (commander has printed its own already; a bug
 * gets its stack), and with `json` one {@linkcode CliErrorJson} line on
 * stdout. Commander's help and version "errors" are exit code 0, silent.
 *
 * @example
 * ```ts ignore
 * import { reportCliFailure } from "./json_errors.ts";
 * const code = reportCliFailure(error, { stdout, stderr, json: true });
 * ```
 */
export function reportCliFailure(
  error: unknown,
  options: ReportCliFailureOptions,
): number {
  const { stdout, stderr } = options;
  const codes = options.codes ?? PING_FAILURE_CODES;
  let code: number;
  if (error instanceof CommanderError) {
    if (error.exitCode === 0) return ExitCode.Ok;
    code = codes.usage;
  } else if (error instanceof CliUsageError) {
    stderr.write(`error: ${error.message}\n`);
    code = codes.usage;
  } else if (error instanceof CliConnectionError) {
    stderr.write(`error: ${error.message}\n`);
    code = codes.connection;
  } else {
    stderr.write(
      redactServerUrl(
        `error: unexpected failure (a bug in fleet): ${
          error instanceof Error ? error.stack ?? error.message : String(error)
        }\n`,
      ),
    );
    code = codes.internal;
  }
  if (options.json) {
    stdout.write(`${JSON.stringify(cliErrorJson(error, codes))}\n`);
  }
  return code;
}

/**
 * Whether `--json` is among `args`' options (before a `--`), read from the
 * raw arguments so it counts even when parsing failed before reaching it.
 *
 * @example
 * ```ts
 * import { wantsJson } from "./json_errors.ts";
 * wantsJson(["ping", "d1", "--json"]); // true
 * ```
 */
export function wantsJson(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  return (end === -1 ? args : args.slice(0, end)).includes("--json");
}
