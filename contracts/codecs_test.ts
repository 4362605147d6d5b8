import assert from "node:assert/strict";
import {
  decodeCommandRequest,
  decodeErrorReply,
  decodeHeartbeat,
  decodePingReply,
  encodeJson,
} from "./codecs.ts";
import { ERROR_CODES, ErrorKind, isErrorKind } from "./error_kinds.ts";
import { PayloadError } from "./payload_error.ts";
import { Verb } from "./verbs.ts";

const text = (value: string) => new TextEncoder().encode(value);
const GOOD_PING = {
  device_id: "vm-device-00",
  agent_version: "0.1.0",
  uptime_s: 42,
  runtime: "podman",
};

function assertPayloadError(run: () => unknown, message: RegExp): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof PayloadError);
    assert.equal(error.name, "PayloadError");
    assert.match(error.message, message);
    return true;
  });
}

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

Deno.test("decodeCommandRequest() treats an empty or blank body as a request without fields", () => {
  assert.deepEqual(decodeCommandRequest(new Uint8Array(), Verb.Ping), {
    verb: "ping",
  });
  assert.deepEqual(decodeCommandRequest(text(" \r\n"), Verb.Ping), {
    verb: "ping",
  });
});

Deno.test("decodeCommandRequest() accepts a body naming the subject's verb, or none", () => {
  assert.deepEqual(
    decodeCommandRequest(encodeJson({ verb: "ping" }), Verb.Ping),
    { verb: "ping" },
  );
  assert.deepEqual(decodeCommandRequest(encodeJson({}), Verb.Ping), {
    verb: "ping",
  });
});

Deno.test("decodeCommandRequest() rejects malformed JSON, non-objects and a verb mismatch", () => {
  assertPayloadError(
    () => decodeCommandRequest(text("{nope"), Verb.Ping),
    /"ping" request is not valid JSON/,
  );
  assertPayloadError(
    () => decodeCommandRequest(text("[1]"), Verb.Ping),
    /must be a JSON object, got an array/,
  );
  assertPayloadError(
    () => decodeCommandRequest(encodeJson({ verb: "exec" }), Verb.Ping),
    /field "verb" must match the subject's verb "ping", got "exec"/,
  );
  assertPayloadError(
    () => decodeCommandRequest(encodeJson({ verb: 7 }), Verb.Ping),
    /must match the subject's verb "ping", got a number/,
  );
});

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
