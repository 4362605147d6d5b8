import assert from "node:assert/strict";
import { decodeErrorReply, decodeHeartbeat, encodeJson } from "./codecs.ts";
import { ERROR_CODES, ErrorKind, isErrorKind } from "./error_kinds.ts";
import { assertPayloadError } from "./verbs/_test_assert.ts";

const GOOD_PING = {
  device_id: "vm-device-00",
  agent_version: "0.1.0",
  uptime_s: 42,
  runtime: "podman",
};
Deno.test("decodeErrorReply() accepts every error kind", () => {
  for (const kind of Object.values(ErrorKind)) {
    assert.deepEqual(decodeErrorReply(encodeJson({ kind, message: "m" })), {
      kind,
      message: "m",
    });
    assert.ok(isErrorKind(kind));
    assert.equal(typeof ERROR_CODES[kind], "number");
  }
});

Deno.test("decodeErrorReply() rejects an unknown kind or a missing message", () => {
  assertPayloadError(
    () => decodeErrorReply(encodeJson({ kind: "oops", message: "m" })),
    /"kind" must be one of/,
  );
  assertPayloadError(
    () => decodeErrorReply(encodeJson({ kind: "internal" })),
    /"message" must be a string/,
  );
});

Deno.test("ERROR_CODES maps kinds to the codes of the wire protocol", () => {
  assert.deepEqual(ERROR_CODES, {
    bad_request: 400,
    forbidden: 403,
    not_found: 404,
    conflict: 409,
    unsupported: 501,
    deadline_exceeded: 504,
    internal: 500,
  });
});

Deno.test("decodeHeartbeat() checks the ping fields and an RFC 3339 ts", () => {
  const beat = { ...GOOD_PING, ts: "2026-11-27T18:00:00.000Z" };
  assert.deepEqual(decodeHeartbeat(encodeJson(beat)), beat);
  assertPayloadError(
    () => decodeHeartbeat(encodeJson({ ...beat, ts: "yesterday" })),
    /"ts" must be an RFC 3339 time/,
  );
  assertPayloadError(
    () => decodeHeartbeat(encodeJson({ ...GOOD_PING })),
    /"ts" must be a string/,
  );
});
