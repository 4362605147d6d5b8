import assert from "node:assert/strict";
import { encodeJson } from "../codecs.ts";
import { PayloadError } from "../payload_error.ts";
import { decodePingReply, decodePingRequest, pingVerb } from "./ping.ts";
import { assertPayloadError } from "./_test_assert.ts";

const text = (value: string) => new TextEncoder().encode(value);
const GOOD_PING = {
  device_id: "vm-device-00",
  agent_version: "0.1.0",
  uptime_s: 42,
  runtime: "podman",
};

Deno.test("decodePingReply() accepts a well-formed reply and drops unknown fields", () => {
  const reply = decodePingReply(encodeJson({ ...GOOD_PING, load: 0.3 }));
  assert.deepEqual(reply, GOOD_PING);
});

Deno.test("decodePingReply() accepts the disabled runtime and zero uptime", () => {
  const reply = decodePingReply(
    encodeJson({ ...GOOD_PING, uptime_s: 0, runtime: "disabled" }),
  );
  assert.equal(reply.runtime, "disabled");
  assert.equal(reply.uptime_s, 0);
});

const BAD_PING_REPLIES: ReadonlyArray<[string, string, RegExp]> = [
  ["not JSON", "pong", /ping reply is not valid JSON/],
  ["empty", "", /not valid JSON/],
  ["an array", "[]", /must be a JSON object, got an array/],
  ["null", "null", /must be a JSON object, got null/],
  ["a string", '"ok"', /must be a JSON object, got a string/],
  [
    "missing device_id",
    JSON.stringify({ ...GOOD_PING, device_id: undefined }),
    /"device_id" must be a string, got nothing/,
  ],
  [
    "a wildcard device_id",
    JSON.stringify({ ...GOOD_PING, device_id: "*" }),
    /"device_id" is not a valid device id/,
  ],
  [
    "numeric agent_version",
    JSON.stringify({ ...GOOD_PING, agent_version: 1 }),
    /"agent_version" must be a string, got a number/,
  ],
  [
    "empty agent_version",
    JSON.stringify({ ...GOOD_PING, agent_version: "" }),
    /"agent_version" must not be empty/,
  ],
  [
    "negative uptime",
    JSON.stringify({ ...GOOD_PING, uptime_s: -1 }),
    /"uptime_s" must be a non-negative integer, got -1/,
  ],
  [
    "fractional uptime",
    JSON.stringify({ ...GOOD_PING, uptime_s: 1.5 }),
    /"uptime_s" must be a non-negative integer, got 1.5/,
  ],
  [
    "string uptime",
    JSON.stringify({ ...GOOD_PING, uptime_s: "42" }),
    /"uptime_s" must be a non-negative integer, got a string/,
  ],
  [
    "unknown runtime",
    JSON.stringify({ ...GOOD_PING, runtime: "docker" }),
    /"runtime" must be one of "podman", "disabled", got "docker"/,
  ],
  [
    "missing runtime",
    JSON.stringify({ ...GOOD_PING, runtime: undefined }),
    /"runtime" must be a string/,
  ],
];

for (const [what, body, message] of BAD_PING_REPLIES) {
  Deno.test(`decodePingReply() rejects ${what}`, () => {
    assertPayloadError(() => decodePingReply(text(body)), message);
  });
}

Deno.test("decodePingReply() keeps the JSON parse error as cause", () => {
  assert.throws(() => decodePingReply(text("{")), (error: unknown) => {
    assert.ok(error instanceof PayloadError);
    assert.ok(error.cause instanceof SyntaxError);
    return true;
  });
});

Deno.test("decodePingRequest() takes an empty body, {} or a body naming ping", () => {
  for (const body of ["", " \r\n", "{}", '{"verb":"ping"}', '{"x":1}']) {
    assert.deepEqual(decodePingRequest(text(body)), { verb: "ping" });
  }
  assertPayloadError(
    () => decodePingRequest(text('{"verb":"exec"}')),
    /"ping" request field "verb" must match the subject's verb "ping", got "exec"/,
  );
  assert.equal(pingVerb.stream, undefined);
});
