// Test helper: asserts a PayloadError whose message matches.
import assert from "node:assert/strict";
import { PayloadError } from "../payload_error.ts";

export function assertPayloadError(run: () => unknown, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof PayloadError, String(error));
    assert.equal(error.name, "PayloadError");
    assert.match(error.message, message);
    return true;
  });
}

export const json = (value: unknown): Uint8Array =>
  new TextEncoder().encode(JSON.stringify(value));
