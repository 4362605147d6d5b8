import type { StreamControlReply } from "./cancel.ts";
import type { VerbSpec } from "./verb_spec.ts";
import { decodeControlReply, decodeRequestId } from "./_stream_control.ts";

/** Body of a `keepalive` request: the client of stream `request_id` is still there. */
export interface KeepaliveRequest {
  /** Always `"keepalive"`. */
  verb: "keepalive";
  /** The `X-Harmony-Request-Id` of the stream (1–256 characters). */
  request_id: string;
}

/** Reply to a requested `keepalive`: `found: false` means the agent has no such stream (any more). */
export type KeepaliveReply = StreamControlReply;

/**
 * How often our client sends a `keepalive` for a `follow` stream, in
 * milliseconds.
 */
export const KEEPALIVE_INTERVAL_MS = 5_000;
/**
 * How long an agent keeps a `follow` stream without a `keepalive` before
 * it ends it with `abandoned`, in milliseconds.
 */
export const KEEPALIVE_TIMEOUT_MS = 15_000;

/**
 * Decodes and checks a `keepalive` request body.
 *
 * @throws {PayloadError} when `request_id` is missing, not a string, empty
 *   or longer than 256 characters, or the body names another verb.
 * @example
 * ```ts
 * import { decodeKeepaliveRequest, encodeJson } from "@harmony/fleet/contracts";
 * decodeKeepaliveRequest(encodeJson({ request_id: "r-1" }));
 * // { verb: "keepalive", request_id: "r-1" }
 * ```
 */
export function decodeKeepaliveRequest(data: Uint8Array): KeepaliveRequest {
  return { verb: "keepalive", request_id: decodeRequestId(data, "keepalive") };
}

/**
 * Decodes and checks a `keepalive` reply, `{request_id, found}`.
 *
 * @throws {PayloadError} when a field is missing or of the wrong type.
 * @example
 * ```ts
 * import { decodeKeepaliveReply, encodeJson } from "@harmony/fleet/contracts";
 * decodeKeepaliveReply(encodeJson({ request_id: "r-1", found: false })).found; // false
 * ```
 */
export function decodeKeepaliveReply(data: Uint8Array): KeepaliveReply {
  return decodeControlReply(data, "keepalive");
}

/**
 * `keepalive`: keeps a `follow` stream alive; published (no answer) or
 * requested (answered like `cancel`).
 *
 * @example
 * ```ts
 * import { keepaliveVerb } from "@harmony/fleet/contracts";
 * keepaliveVerb.publishable; // true
 * ```
 */
export const keepaliveVerb: VerbSpec<
  "keepalive",
  KeepaliveRequest,
  KeepaliveReply
> = {
  name: "keepalive",
  publishable: true,
  decodeRequest: decodeKeepaliveRequest,
  decodeReply: decodeKeepaliveReply,
};
