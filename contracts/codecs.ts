import { deviceIdProblem } from "./device_id.ts";
import { ErrorKind } from "./error_kinds.ts";
import type {
  CommandRequest,
  ErrorReply,
  Heartbeat,
  PingReply,
} from "./messages.ts";
import { Runtime } from "./messages.ts";
import { PayloadError } from "./payload_error.ts";
import {
  type JsonObject,
  jsonType,
  nonNegativeIntegerField,
  oneOfField,
  parseJsonObject,
  stringField,
} from "./_shape.ts";
import type { Verb } from "./verbs.ts";

const encoder = new TextEncoder();
const RUNTIMES = Object.values(Runtime);
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
 * Decodes a request body for a command whose subject names `verb`. An empty
 * body means "no fields". A body whose `verb` differs from `verb` is
 * rejected.
 *
 * @throws {PayloadError} when the body is not a well-formed request for `verb`.
 * @example
 * ```ts
 * import { decodeCommandRequest, Verb } from "@harmony/fleet/contracts";
 * decodeCommandRequest(new Uint8Array(), Verb.Ping); // { verb: "ping" }
 * ```
 */
export function decodeCommandRequest(
  data: Uint8Array,
  verb: Verb,
): CommandRequest {
  if (isBlank(data)) return { verb };
  const what = `"${verb}" request`;
  const object = parseJsonObject(data, what);
  if ("verb" in object && object.verb !== verb) {
    throw new PayloadError(
      `${what} field "verb" must match the subject's verb "${verb}", got ${
        typeof object.verb === "string"
          ? JSON.stringify(object.verb)
          : jsonType(object.verb)
      }`,
    );
  }
  return { verb };
}

/**
 * Decodes and checks a ping reply; fields it does not know are dropped.
 *
 * @throws {PayloadError} when the bytes are not a well-formed {@linkcode PingReply}.
 * @example
 * ```ts
 * import { decodePingReply, encodeJson } from "@harmony/fleet/contracts";
 * decodePingReply(encodeJson({
 *   device_id: "d1", agent_version: "0.1.0", uptime_s: 3, runtime: "disabled",
 * }));
 * ```
 */
export function decodePingReply(data: Uint8Array): PingReply {
  return pingReplyFields(parseJsonObject(data, "ping reply"), "ping reply");
}

/**
 * Decodes and checks a heartbeat; fields it does not know are dropped.
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
  return { ...pingReplyFields(object, what), ts };
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

function pingReplyFields(object: JsonObject, what: string): PingReply {
  const deviceId = stringField(object, "device_id", what);
  const problem = deviceIdProblem(deviceId);
  if (problem) {
    throw new PayloadError(
      `${what} field "device_id" is not a valid device id: ${problem}`,
    );
  }
  const agentVersion = stringField(object, "agent_version", what);
  if (agentVersion.length === 0) {
    throw new PayloadError(`${what} field "agent_version" must not be empty`);
  }
  return {
    device_id: deviceId,
    agent_version: agentVersion,
    uptime_s: nonNegativeIntegerField(object, "uptime_s", what),
    runtime: oneOfField(object, "runtime", RUNTIMES, what),
  };
}

function isBlank(data: Uint8Array): boolean {
  return data.every((byte) =>
    byte === 0x20 || byte === 0x09 || byte === 0x0a || byte === 0x0d
  );
}
