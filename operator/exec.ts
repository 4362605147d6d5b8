import {
  encodeBase64,
  type ExecRequest,
  MAX_EXEC_STDIN_BYTES,
} from "../contracts/mod.ts";
import {
  describe,
  optionalBoolean,
  optionalInteger,
  type OptionContext,
  optionRangeError,
  optionTypeError,
} from "./_options.ts";
import type { CommandStream, StreamCommandOptions } from "./command_stream.ts";
import { type ExecOutput, StreamEndedEarlyError } from "./errors.ts";

/**
 * Options of `FleetCommandsClient.exec()` and `execStream()`: what to run
 * where, and the call's own. Exactly one of `container` and `host: true`.
 */
export interface ExecOptions extends StreamCommandOptions {
  /**
   * The container to run `cmd` in (name or id, 1–256 characters).
   *
   * @default {undefined} (then `host` must be `true`)
   */
  container?: string;
  /**
   * `true`: run `cmd` on the device itself, as the agent's user (the
   * agent's policy may forbid it: `RemoteCommandError` `forbidden`).
   *
   * @default {false}
   */
  host?: boolean;
  /**
   * The argv, run without a shell: at least one element, the first not
   * empty, no NUL, at most 64 KiB (`MAX_EXEC_CMD_BYTES`) in all.
   */
  cmd: readonly string[];
  /**
   * Extra environment variables (at most 64 KiB in all).
   *
   * @default {undefined}
   */
  env?: Readonly<Record<string, string>>;
  /**
   * Working directory: an absolute path.
   *
   * @default {undefined} (the container's or the agent's)
   */
  workdir?: string;
  /**
   * The command's stdin, at most `MAX_EXEC_STDIN_BYTES` (512 KiB); sent
   * with the request (base64), then closed.
   *
   * @default {undefined} (stdin empty)
   */
  stdin?: Uint8Array;
  /**
   * Stop the command after this many bytes of output (stdout and stderr
   * together), cut exactly there: the result is then `truncated`.
   *
   * @default {undefined} (the agent's default, `DEFAULT_EXEC_LIMIT_BYTES`: 16 MiB)
   */
  limitBytes?: number;
}

/** The result of an `exec` whose command finished. */
export interface ExecCompleted extends ExecOutput {
  /** The command's exit code, as the agent sent it (0–255 for a process). */
  exitCode: number;
  /** Always `false`: all of the output arrived. */
  truncated: false;
}

/**
 * The result of an `exec` whose output reached `limitBytes`: the agent
 * stopped the command there, so it has no exit code unless the agent sent
 * one.
 */
export interface ExecTruncated extends ExecOutput {
  /** The exit code when the agent sent one with its `limit` end; else `undefined`. */
  exitCode: number | undefined;
  /** Always `true`: the output is cut at `limitBytes`. */
  truncated: true;
}

/**
 * What `FleetCommandsClient.exec()` resolves with: the collected output
 * and the exit code, or the output cut at the limit (`truncated: true`).
 */
export type ExecResult = ExecCompleted | ExecTruncated;

/**
 * The `exec` request for `options`, checked in the options' names (the
 * verb's decoder checks `cmd`, `env`, `workdir` and `container` when the
 * stream is opened).
 *
 * @throws {TypeError} for neither or both of `container` and `host: true`,
 *   `host` not a boolean, `stdin` not a `Uint8Array`.
 * @throws {RangeError} for `stdin` over `MAX_EXEC_STDIN_BYTES` or a
 *   `limitBytes` that is not a positive integer.
 * @example
 * ```ts
 * import { execRequest } from "./exec.ts";
 * execRequest("d1", { host: true, cmd: ["id"], stdin: new Uint8Array([104, 105]) });
 * // { verb: "exec", host: true, cmd: ["id"], stdin: "aGk=" }
 * ```
 */
export function execRequest(
  deviceId: string,
  options: ExecOptions,
): ExecRequest {
  const context: OptionContext = { verb: "exec", deviceId };
  const host = optionalBoolean(context, "host", options.host);
  const hasContainer = options.container !== undefined;
  if (hasContainer === (host === true)) {
    throw optionTypeError(
      context,
      `it needs exactly one of option "container" or "host: true"; got ${
        hasContainer ? "both" : "neither"
      }`,
    );
  }
  const request = { verb: "exec" } as ExecRequest;
  if (hasContainer) request.container = options.container;
  if (host !== undefined) request.host = host;
  request.cmd = Array.isArray(options.cmd)
    ? [...options.cmd]
    : options.cmd as string[];
  if (options.env !== undefined) request.env = { ...options.env };
  if (options.workdir !== undefined) request.workdir = options.workdir;
  if (options.stdin !== undefined) {
    if (!(options.stdin instanceof Uint8Array)) {
      throw optionTypeError(
        context,
        `option "stdin" must be a Uint8Array, got ${describe(options.stdin)}`,
      );
    }
    if (options.stdin.length > MAX_EXEC_STDIN_BYTES) {
      throw optionRangeError(
        context,
        `option "stdin" must be at most ${MAX_EXEC_STDIN_BYTES} bytes, got ${options.stdin.length}`,
      );
    }
    request.stdin = encodeBase64(options.stdin);
  }
  const limit = optionalInteger(context, "limitBytes", options.limitBytes, 1);
  if (limit !== undefined) request.limit_bytes = limit;
  return request;
}

/**
 * Reads an `exec` stream to its end and collects its output: the
 * {@linkcode ExecResult}, or the stream's error — a
 * `StreamEndedEarlyError` then carries the output that arrived.
 *
 * @example
 * ```ts ignore
 * import { collectExec } from "./exec.ts";
 * const { exitCode, stdout } = await collectExec(stream);
 * ```
 */
export async function collectExec(stream: CommandStream): Promise<ExecResult> {
  const stdout: Uint8Array[] = [];
  const stderr: Uint8Array[] = [];
  try {
    for await (const chunk of stream) {
      (chunk.stream === "stdout" ? stdout : stderr).push(chunk.data);
    }
  } catch (error) {
    if (!(error instanceof StreamEndedEarlyError)) throw error;
    throw new StreamEndedEarlyError({
      deviceId: error.deviceId,
      verb: error.verb,
      requestId: error.requestId,
      reason: error.reason,
      timeoutMs: error.timeoutMs,
      output: { stdout: concat(stdout), stderr: concat(stderr) },
    });
  }
  const end = stream.end!;
  const output = { stdout: concat(stdout), stderr: concat(stderr) };
  return end.reason === "limit"
    ? { exitCode: end.exitCode, ...output, truncated: true }
    : { exitCode: end.exitCode!, ...output, truncated: false };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
