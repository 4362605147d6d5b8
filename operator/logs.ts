import type { LogsRequest } from "../contracts/mod.ts";
import {
  optionalBoolean,
  optionalInteger,
  optionalTime,
  type OptionContext,
  optionRangeError,
} from "./_options.ts";
import type { StreamCommandOptions } from "./command_stream.ts";

/** Options of `FleetCommandsClient.logs()`: which log, how much, and the call's own. */
export interface LogsOptions extends StreamCommandOptions {
  /** The container's name or id (1–256 characters). */
  container: string;
  /**
   * Only the last `tail` lines (an integer, 0 or more).
   *
   * @default {undefined} (all lines)
   */
  tail?: number;
  /**
   * Only lines since this time: a `Date` or an RFC 3339 string
   * (`"2026-11-27T18:00:00Z"`).
   *
   * @default {undefined} (from the start)
   */
  since?: Date | string;
  /**
   * Only lines until this time (not before `since`): a `Date` or an RFC
   * 3339 string.
   *
   * @default {undefined} (to the end)
   */
  until?: Date | string;
  /**
   * Prefix each line with its RFC 3339 time, as `podman logs -t`.
   *
   * @default {false}
   */
  timestamps?: boolean;
  /**
   * Keep sending new lines until the loop is left, `signal` aborts, the
   * limit is reached or the container exits (then the loop ends). A
   * `follow` stream is kept alive by a `keepalive` every 5 s and is not
   * bounded by `timeoutMs`.
   *
   * @default {false}
   */
  follow?: boolean;
  /**
   * Include the container's stdout.
   *
   * @default {true}
   */
  stdout?: boolean;
  /**
   * Include the container's stderr (not both `false`).
   *
   * @default {true}
   */
  stderr?: boolean;
  /**
   * End the stream (normally, `end.reason` `"limit"`) after this many bytes
   * of data, cut exactly there (an integer, 1 or more).
   *
   * @default {undefined} (no limit)
   */
  limitBytes?: number;
}

/**
 * The `logs` request for `options`, checked in the options' names.
 * The verb's decoder checks the rest when the stream is opened.
 *
 * @throws {TypeError} for an option of the wrong type.
 * @throws {RangeError} for `tail` or `limitBytes` out of range, `since` or
 *   `until` not a valid `Date` nor an RFC 3339 string, `until` before
 *   `since`.
 * @example
 * ```ts
 * import { logsRequest } from "./logs.ts";
 * logsRequest("d1", { container: "web", tail: 10, limitBytes: 4096 });
 * // { verb: "logs", container: "web", tail: 10, limit_bytes: 4096 }
 * ```
 */
export function logsRequest(
  deviceId: string,
  options: LogsOptions,
): LogsRequest {
  const context: OptionContext = { verb: "logs", deviceId };
  const request: LogsRequest = { verb: "logs", container: options.container };
  const tail = optionalInteger(context, "tail", options.tail, 0);
  if (tail !== undefined) request.tail = tail;
  const since = optionalTime(context, "since", options.since);
  if (since !== undefined) request.since = since.text;
  const until = optionalTime(context, "until", options.until);
  if (until !== undefined) {
    if (since !== undefined && until.ms < since.ms) {
      throw optionRangeError(
        context,
        `option "until" must not be before "since", got ${until.text} before ${since.text}`,
      );
    }
    request.until = until.text;
  }
  for (const flag of ["timestamps", "follow", "stdout", "stderr"] as const) {
    const value = optionalBoolean(context, flag, options[flag]);
    if (value !== undefined) request[flag] = value;
  }
  const limit = optionalInteger(context, "limitBytes", options.limitBytes, 1);
  if (limit !== undefined) request.limit_bytes = limit;
  return request;
}
