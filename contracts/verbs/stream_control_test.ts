import assert from "node:assert/strict";
import {
  cancelVerb,
  decodeCancelReply,
  decodeCancelRequest,
} from "./cancel.ts";
import {
  decodeKeepaliveReply,
  decodeKeepaliveRequest,
  keepaliveVerb,
} from "./keepalive.ts";
import { assertPayloadError, json } from "./_test_assert.ts";

Deno.test("decodeCancelRequest() reads the request id", () => {
  assert.deepEqual(
    decodeCancelRequest(json({ verb: "cancel", request_id: "r-1", x: 1 })),
    { verb: "cancel", request_id: "r-1" },
  );
});

Deno.test("decodeKeepaliveRequest() reads the request id", () => {
  assert.deepEqual(decodeKeepaliveRequest(json({ request_id: "r-1" })), {
    verb: "keepalive",
    request_id: "r-1",
  });
});

for (
  const [name, decode] of [
    ["cancel", decodeCancelRequest],
    ["keepalive", decodeKeepaliveRequest],
  ] as const
) {
  Deno.test(`decode${name === "cancel" ? "Cancel" : "Keepalive"}Request() rejects a missing, empty, huge or ill-typed request_id`, () => {
    assertPayloadError(
      () => decode(new Uint8Array()),
      new RegExp(
        `"${name}" request field "request_id" must be a string, got nothing`,
      ),
    );
    assertPayloadError(
      () => decode(json({ request_id: 3 })),
      /"request_id" must be a string, got a number/,
    );
    assertPayloadError(
      () => decode(json({ request_id: "" })),
      /"request_id" must not be empty/,
    );
    assertPayloadError(
      () => decode(json({ request_id: "r".repeat(257) })),
      /"request_id" must have at most 256 characters, got 257/,
    );
    assertPayloadError(
      () => decode(json({ verb: "ping", request_id: "r" })),
      new RegExp(`must match the subject's verb "${name}", got "ping"`),
    );
  });
}

Deno.test("decodeCancelReply() and decodeKeepaliveReply() read {request_id, found}", () => {
  const reply = { request_id: "r-1", found: false };
  assert.deepEqual(decodeCancelReply(json({ ...reply, extra: 1 })), reply);
  assert.deepEqual(decodeKeepaliveReply(json(reply)), reply);
  assertPayloadError(
    () => decodeCancelReply(json({ request_id: "r-1" })),
    /cancel reply field "found" must be true or false, got nothing/,
  );
  assertPayloadError(
    () => decodeKeepaliveReply(json({ found: true })),
    /keepalive reply field "request_id" must be a string, got nothing/,
  );
});

Deno.test("cancelVerb and keepaliveVerb answer once and may be published without a reply subject", () => {
  for (const verb of [cancelVerb, keepaliveVerb]) {
    assert.equal(verb.publishable, true);
    assert.equal(verb.stream, undefined);
  }
});
