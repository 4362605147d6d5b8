import { parseJsonObject, requestObject } from "../_shape.ts";
import { type PingReply, pingReplyFields } from "../_ping_fields.ts";

export type { PingReply } from "../_ping_fields.ts";
import type { VerbSpec } from "./verb_spec.ts";

/** Body of a `ping` request. The body may also be empty. */
export interface PingRequest {
  /** Always `"ping"`. */
  verb: "ping";
}

/**
 * Decodes a `ping` request: it has no fields, so any JSON object (or an
 * empty body) whose `verb`, if given, is `"ping"`.
 *
 * @throws {PayloadError} for malformed JSON, a non-object or another verb.
 * @example
 * ```ts
 * import { decodePingRequest } from "@harmony/fleet/contracts";
 * decodePingRequest(new Uint8Array()); // { verb: "ping" }
 * ```
 */
export function decodePingRequest(data: Uint8Array): PingRequest {
  requestObject(data, "ping");
  return PING_REQUEST;
}

// Shared and frozen: a ping has no fields, so every decoded one is this.
const PING_REQUEST: PingRequest = Object.freeze({ verb: "ping" });

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
 * `ping`: is the agent alive? One {@linkcode PingReply}.
 *
 * @example
 * ```ts
 * import { pingVerb } from "@harmony/fleet/contracts";
 * pingVerb.stream; // undefined: one reply
 * ```
 */
export const pingVerb: VerbSpec<"ping", PingRequest, PingReply> = {
  name: "ping",
  publishable: false,
  decodeRequest: decodePingRequest,
  decodeReply: decodePingReply,
};
