import type { VerbSpec } from "./verb_spec.ts";
import {
  decodeControlReply,
  decodeRequestId,
  MAX_REQUEST_ID_LENGTH,
} from "./_stream_control.ts";

export { MAX_REQUEST_ID_LENGTH };

/** Body of a `cancel` request: end the stream of request `request_id` now. */
export interface CancelRequest {
  /** Always `"cancel"`. */
  verb: "cancel";
  /** The `X-Harmony-Request-Id` of the stream to end (1–256 characters). */
  request_id: string;
}

/** Reply to `cancel` and to a requested `keepalive`. */
export interface StreamControlReply {
  /** The request id asked about. */
  request_id: string;
  /** Whether the agent had an open stream of that request id. */
  found: boolean;
}

/** Reply to `cancel`: `found` says whether a stream was ended. */
export type CancelReply = StreamControlReply;

/**
 * Decodes and checks a `cancel` request body.
 *
 * @throws {PayloadError} when `request_id` is missing, not a string, empty
 *   or longer than 256 characters, or the body names another verb.
 * @example
 * ```ts
 * import { decodeCancelRequest, encodeJson } from "@harmony/fleet/contracts";
 * decodeCancelRequest(encodeJson({ verb: "cancel", request_id: "r-1" }));
 * // { verb: "cancel", request_id: "r-1" }
 * ```
 */
export function decodeCancelRequest(data: Uint8Array): CancelRequest {
  return { verb: "cancel", request_id: decodeRequestId(data, "cancel") };
}

/**
 * Decodes and checks a `cancel` reply, `{request_id, found}`.
 *
 * @throws {PayloadError} when a field is missing or of the wrong type.
 * @example
 * ```ts
 * import { decodeCancelReply, encodeJson } from "@harmony/fleet/contracts";
 * decodeCancelReply(encodeJson({ request_id: "r-1", found: true })).found; // true
 * ```
 */
export function decodeCancelReply(data: Uint8Array): CancelReply {
  return decodeControlReply(data, "cancel");
}

/**
 * `cancel`: ends a stream with `cancelled` (within 100 ms) and answers
 * whether it was open. May also be published without a reply subject.
 *
 * @example
 * ```ts
 * import { cancelVerb } from "@harmony/fleet/contracts";
 * cancelVerb.stream; // undefined: one reply
 * ```
 */
export const cancelVerb: VerbSpec<"cancel", CancelRequest, CancelReply> = {
  name: "cancel",
  publishable: true,
  decodeRequest: decodeCancelRequest,
  decodeReply: decodeCancelReply,
};
