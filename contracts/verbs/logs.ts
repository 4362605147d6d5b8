import { PayloadError } from "../payload_error.ts";
import {
  nonEmptyStringField,
  optionalBooleanField,
  optionalIntegerField,
  requestLabel,
  requestObject,
} from "../_shape.ts";
import { optionalTimeField } from "./_time_field.ts";
import type { VerbSpec } from "./verb_spec.ts";

/** Longest container name or id a request may carry, in characters. */
export const MAX_CONTAINER_NAME_LENGTH = 256;

/**
 * Body of a `logs` request: a container's log, as `podman logs` prints it.
 * Optional fields left out take their defaults; `null` counts as left out.
 */
export interface LogsRequest {
  /** Always `"logs"`. */
  verb: "logs";
  /** The container's name or id (1–256 characters). */
  container: string;
  /** Only the last `tail` lines (0 or more). Default: all. */
  tail?: number;
  /** Only lines since this RFC 3339 time. */
  since?: string;
  /** Only lines until this RFC 3339 time (not before `since`). */
  until?: string;
  /** Prefix each line with its RFC 3339 time. Default: `false`. */
  timestamps?: boolean;
  /**
   * Keep sending new lines until cancelled, abandoned (no keepalive for
   * 15 s), the limit, or the container's exit. Default: `false`.
   */
  follow?: boolean;
  /** Include the container's stdout. Default: `true`. */
  stdout?: boolean;
  /** Include the container's stderr. Default: `true`. */
  stderr?: boolean;
  /** Stop (end `limit`) after this many bytes of data (1 or more). Default: no limit. */
  limit_bytes?: number;
}

/**
 * Decodes and checks a `logs` request body; unknown fields are dropped.
 *
 * @throws {PayloadError} naming the field and what was expected: a missing
 *   or empty `container`, a `tail` that is not a non-negative integer,
 *   `since`/`until` not RFC 3339 (or `until` before `since`), a
 *   `limit_bytes` that is not a positive integer, a flag that is not a
 *   boolean, `stdout` and `stderr` both `false`, another `verb`.
 * @example
 * ```ts
 * import { decodeLogsRequest, encodeJson } from "@harmony/fleet/contracts";
 * decodeLogsRequest(encodeJson({ verb: "logs", container: "web", tail: 10 }));
 * // { verb: "logs", container: "web", tail: 10 }
 * ```
 */
export function decodeLogsRequest(data: Uint8Array): LogsRequest {
  const what = requestLabel("logs");
  const object = requestObject(data, "logs");
  const request: LogsRequest = {
    verb: "logs",
    container: nonEmptyStringField(
      object,
      "container",
      what,
      MAX_CONTAINER_NAME_LENGTH,
    ),
  };
  const tail = optionalIntegerField(object, "tail", what, 0);
  if (tail !== undefined) request.tail = tail;
  const since = optionalTimeField(object, "since", what);
  if (since !== undefined) request.since = since.text;
  const until = optionalTimeField(object, "until", what);
  if (until !== undefined) {
    if (since !== undefined && until.ms < since.ms) {
      throw new PayloadError(
        `${what} field "until" must not be before "since", got ${
          JSON.stringify(until.text)
        } before ${JSON.stringify(since.text)}`,
      );
    }
    request.until = until.text;
  }
  for (const flag of ["timestamps", "follow", "stdout", "stderr"] as const) {
    const value = optionalBooleanField(object, flag, what);
    if (value !== undefined) request[flag] = value;
  }
  if (request.stdout === false && request.stderr === false) {
    throw new PayloadError(
      `${what} fields "stdout" and "stderr" must not both be false`,
    );
  }
  const limit = optionalIntegerField(object, "limit_bytes", what, 1);
  if (limit !== undefined) request.limit_bytes = limit;
  return request;
}

/**
 * `logs`: a stream of a container's log.
 *
 * @example
 * ```ts
 * import { logsVerb } from "@harmony/fleet/contracts";
 * logsVerb.stream?.follows({ verb: "logs", container: "web", follow: true }); // true
 * ```
 */
export const logsVerb: VerbSpec<"logs", LogsRequest> = {
  name: "logs",
  publishable: false,
  decodeRequest: decodeLogsRequest,
  stream: {
    follows: (request) => request.follow === true,
    limitBytes: (request) => request.limit_bytes,
    lines: true,
  },
};
