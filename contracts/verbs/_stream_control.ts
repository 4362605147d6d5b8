// What cancel and keepalive share: a request naming a stream by its
// request id, and the reply {request_id, found}. Private to contracts/verbs/.
import {
  nonEmptyStringField,
  optionalBooleanField,
  parseJsonObject,
  requestLabel,
  requestObject,
  stringField,
} from "../_shape.ts";
import { PayloadError } from "../payload_error.ts";

/** Longest `request_id` a stream-control request may carry, in characters. */
export const MAX_REQUEST_ID_LENGTH = 256;

export function decodeRequestId(data: Uint8Array, verb: string): string {
  return nonEmptyStringField(
    requestObject(data, verb),
    "request_id",
    requestLabel(verb),
    MAX_REQUEST_ID_LENGTH,
  );
}

export function decodeControlReply(
  data: Uint8Array,
  verb: string,
): { request_id: string; found: boolean } {
  const what = `${verb} reply`;
  const object = parseJsonObject(data, what);
  const requestId = stringField(object, "request_id", what);
  const found = optionalBooleanField(object, "found", what);
  if (found === undefined) {
    throw new PayloadError(
      `${what} field "found" must be true or false, got nothing`,
    );
  }
  return { request_id: requestId, found };
}
