// An optional RFC 3339 field, checked. Private to contracts/verbs/.
import { PayloadError } from "../payload_error.ts";
import { parseRfc3339 } from "../rfc3339.ts";
import { describeValue, type JsonObject } from "../_shape.ts";

/** The field as given and its epoch milliseconds, or `undefined` when absent. */
export function optionalTimeField(
  object: JsonObject,
  field: string,
  what: string,
): { text: string; ms: number } | undefined {
  const value = object[field];
  if (value === undefined || value === null) return undefined;
  const ms = typeof value === "string" ? parseRfc3339(value) : undefined;
  if (ms === undefined) {
    throw new PayloadError(
      `${what} field "${field}" must be an RFC 3339 date-time (e.g. "2026-11-27T18:00:00Z"), got ${
        describeValue(value)
      }`,
    );
  }
  return { text: value as string, ms };
}
