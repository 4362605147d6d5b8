/**
 * The options of a log read and their libpod query. Pure.
 *
 * @module
 */

/** Options of {@linkcode PodmanClient.logs}. */
export interface LogsOptions {
  /** Only the last `tail` lines. @default {all lines} */
  tail?: number;
  /**
   * Only lines logged at or after this time: a `Date`, or a string podman
   * reads (RFC 3339 with up to nanoseconds, passed through unchanged).
   *
   * @default {no lower bound}
   */
  since?: Date | string;
  /** Only lines logged before this time (as `since`). @default {no upper bound} */
  until?: Date | string;
  /** Prefix each line with its RFC 3339 time, as `podman logs -t`. @default {false} */
  timestamps?: boolean;
  /**
   * Keep reading lines as they are written, until the container exits or
   * the read is stopped.
   *
   * @default {false}
   */
  follow?: boolean;
  /** Include stdout. @default {true} */
  stdout?: boolean;
  /** Include stderr. @default {true} */
  stderr?: boolean;
  /**
   * Only a container with this label (`key=value` or `key`) is found; any
   * other is "not found" for this caller.
   *
   * @default {any container}
   */
  label?: string;
  /** Stops the read (and closes its HTTP request) when aborted. */
  signal?: AbortSignal;
}

/** The libpod `logs` query parameters. */
export interface LogsQuery
  extends Record<string, string | number | boolean | undefined> {
  /** Include stdout. */
  stdout: boolean;
  /** Include stderr. */
  stderr: boolean;
  /** Keep reading. */
  follow: boolean;
  /** Prefix lines with their time. */
  timestamps: boolean;
  /** Last N lines, or all. */
  tail: number | undefined;
  /** Lower time bound, as podman reads it. */
  since: string | undefined;
  /** Upper time bound, as podman reads it. */
  until: string | undefined;
}

/**
 * Checks `options` and builds the query of
 * `GET /libpod/containers/{name}/logs`.
 *
 * @throws {RangeError} for a tail that is not a whole number ≥ 0, or an
 * invalid `Date`.
 * @throws {TypeError} for an empty time string, or neither stream asked for.
 * @example
 * ```ts
 * import { logsQuery } from "./logs_query.ts";
 * logsQuery({ tail: 10, stderr: false }).tail; // 10
 * ```
 */
export function logsQuery(options: LogsOptions): LogsQuery {
  const { tail } = options;
  if (tail !== undefined && !(Number.isSafeInteger(tail) && tail >= 0)) {
    throw new RangeError(
      `Invalid logs option tail ${tail}: expected a whole number ≥ 0`,
    );
  }
  const stdout = options.stdout ?? true;
  const stderr = options.stderr ?? true;
  if (!stdout && !stderr) {
    throw new TypeError(
      "Invalid logs options: stdout and stderr are both false: nothing to read",
    );
  }
  return {
    stdout,
    stderr,
    follow: options.follow ?? false,
    timestamps: options.timestamps ?? false,
    tail,
    since: timeParam("since", options.since),
    until: timeParam("until", options.until),
  };
}

function timeParam(
  name: string,
  value: Date | string | undefined,
): string | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) {
      throw new RangeError(`Invalid logs option ${name}: an invalid Date`);
    }
    return value.toISOString();
  }
  if (typeof value !== "string" || value.trim() === "") {
    throw new TypeError(
      `Invalid logs option ${name} ${
        JSON.stringify(value)
      }: expected an RFC 3339 time or a Date`,
    );
  }
  return value;
}
