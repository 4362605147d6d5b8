import { ErrorKind } from "./error_kinds.ts";
import type { ErrorReply, Heartbeat } from "./messages.ts";
import { PayloadError } from "./payload_error.ts";
import {
  jsonType,
  oneOfField,
  parseJsonObject,
  stringField,
} from "./_shape.ts";
import { pingReplyFields } from "./_ping_fields.ts";
import { deviceLabelsProblem } from "./labels.ts";

const encoder = new TextEncoder();
const ERROR_KINDS = Object.values(ErrorKind);

/**
 * Encodes a message as UTF-8 JSON bytes.
 *
 * @example
 * ```ts
 * import { encodeJson } from "@harmony/fleet/contracts";
 * encodeJson({ verb: "ping" }); // Uint8Array of '{"verb":"ping"}'
 * ```
 */
export function encodeJson(message: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(message));
}

/**
 * Decodes and checks a heartbeat; fields it does not know are dropped.
 * `labels` and `interval_s` may be absent (older agents); when present,
 * `labels` must be valid device labels and `interval_s` a number > 0.
 *
 * @throws {PayloadError} when the bytes are not a well-formed {@linkcode Heartbeat}.
 * @example
 * ```ts ignore
 * import { decodeHeartbeat } from "@harmony/fleet/contracts";
 * const beat = decodeHeartbeat(msg.data);
 * ```
 */
export function decodeHeartbeat(data: Uint8Array): Heartbeat {
  const what = "heartbeat";
  const object = parseJsonObject(data, what);
  const ts = stringField(object, "ts", what);
  if (Number.isNaN(Date.parse(ts))) {
    throw new PayloadError(
      `${what} field "ts" must be an RFC 3339 time, got ${JSON.stringify(ts)}`,
    );
  }
  const beat: Heartbeat = { ...pingReplyFields(object, what), ts };
  if (object.labels !== undefined) {
    const problem = deviceLabelsProblem(object.labels);
    if (problem !== undefined) {
      throw new PayloadError(`${what} field "labels": ${problem}`);
    }
    beat.labels = { ...(object.labels as Record<string, string>) };
  }
  if (object.interval_s !== undefined) {
    const interval = object.interval_s;
    if (
      typeof interval !== "number" || !Number.isFinite(interval) ||
      interval <= 0
    ) {
      throw new PayloadError(
        `${what} field "interval_s" must be a number of seconds > 0, got ${
          typeof interval === "number" ? interval : jsonType(interval)
        }`,
      );
    }
    beat.interval_s = interval;
  }
  return beat;
}

/**
 * Decodes and checks the body of an error reply.
 *
 * @throws {PayloadError} when the bytes are not a well-formed {@linkcode ErrorReply}.
 * @example
 * ```ts
 * import { decodeErrorReply, encodeJson } from "@harmony/fleet/contracts";
 * decodeErrorReply(encodeJson({ kind: "bad_request", message: "unknown verb" }));
 * ```
 */
export function decodeErrorReply(data: Uint8Array): ErrorReply {
  const what = "error reply";
  const object = parseJsonObject(data, what);
  return {
    kind: oneOfField(object, "kind", ERROR_KINDS, what),
    message: stringField(object, "message", what),
  };
}
