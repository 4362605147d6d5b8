import assert from "node:assert/strict";
import { decodeLogsRequest, logsVerb } from "./logs.ts";
import { assertPayloadError, json } from "./_test_assert.ts";

Deno.test("decodeLogsRequest() keeps the fields given and drops unknown ones", () => {
  const request = {
    verb: "logs",
    container: "web",
    tail: 0,
    since: "2026-11-27T18:00:00Z",
    until: "2026-11-27T19:00:00.5+01:00",
    timestamps: true,
    follow: false,
    stdout: true,
    stderr: false,
    limit_bytes: 1,
  };
  assert.deepEqual(
    decodeLogsRequest(json({ ...request, colour: "blue" })),
    request,
  );
});

Deno.test("decodeLogsRequest() needs only the container; the verb field is optional", () => {
  assert.deepEqual(decodeLogsRequest(json({ container: "web" })), {
    verb: "logs",
    container: "web",
  });
});

Deno.test("decodeLogsRequest() reads null as an absent optional field", () => {
  assert.deepEqual(
    decodeLogsRequest(json({ container: "web", tail: null, follow: null })),
    { verb: "logs", container: "web" },
  );
});

const BAD: ReadonlyArray<[string, unknown, RegExp]> = [
  [
    "an empty body",
    undefined,
    /"logs" request field "container" must be a string, got nothing/,
  ],
  [
    "a numeric container",
    { container: 7 },
    /field "container" must be a string, got a number/,
  ],
  [
    "an empty container",
    { container: "" },
    /field "container" must not be empty/,
  ],
  [
    "a huge container",
    { container: "x".repeat(257) },
    /field "container" must have at most 256 characters, got 257/,
  ],
  [
    "tail -1",
    { container: "w", tail: -1 },
    /field "tail" must be a non-negative integer, got -1/,
  ],
  [
    "a fractional tail",
    { container: "w", tail: 1.5 },
    /field "tail" must be a non-negative integer, got 1.5/,
  ],
  [
    "a string tail",
    { container: "w", tail: "10" },
    /field "tail" must be a non-negative integer, got "10"/,
  ],
  [
    "since not a time",
    { container: "w", since: "10m" },
    /field "since" must be an RFC 3339 date-time \(e\.g\. "2026-11-27T18:00:00Z"\), got "10m"/,
  ],
  [
    "since a number",
    { container: "w", since: 1700000000 },
    /field "since" must be an RFC 3339 date-time .*got 1700000000/,
  ],
  [
    "until not a time",
    { container: "w", until: "2026-02-30T00:00:00Z" },
    /field "until" must be an RFC 3339/,
  ],
  [
    "until before since",
    {
      container: "w",
      since: "2026-11-27T18:00:00Z",
      until: "2026-11-27T17:00:00Z",
    },
    /field "until" must not be before "since"/,
  ],
  [
    "a string follow",
    { container: "w", follow: "yes" },
    /field "follow" must be true or false, got "yes"/,
  ],
  [
    "a numeric timestamps",
    { container: "w", timestamps: 1 },
    /field "timestamps" must be true or false, got 1/,
  ],
  [
    "a string stdout",
    { container: "w", stdout: "false" },
    /field "stdout" must be true or false/,
  ],
  [
    "neither stream",
    { container: "w", stdout: false, stderr: false },
    /fields "stdout" and "stderr" must not both be false/,
  ],
  [
    "limit_bytes 0",
    { container: "w", limit_bytes: 0 },
    /field "limit_bytes" must be a positive integer, got 0/,
  ],
  [
    "limit_bytes -5",
    { container: "w", limit_bytes: -5 },
    /field "limit_bytes" must be a positive integer, got -5/,
  ],
  [
    "limit_bytes 1.5",
    { container: "w", limit_bytes: 1.5 },
    /field "limit_bytes" must be a positive integer, got 1.5/,
  ],
  [
    "limit_bytes a string",
    { container: "w", limit_bytes: "1" },
    /field "limit_bytes" must be a positive integer, got "1"/,
  ],
  [
    "a verb mismatch",
    { verb: "exec", container: "w" },
    /field "verb" must match the subject's verb "logs", got "exec"/,
  ],
  ["an array", [], /must be a JSON object, got an array/],
];
for (const [what, body, message] of BAD) {
  Deno.test(`decodeLogsRequest() rejects ${what}, naming the field`, () => {
    assertPayloadError(
      () =>
        decodeLogsRequest(body === undefined ? new Uint8Array() : json(body)),
      message,
    );
  });
}

Deno.test("decodeLogsRequest() rejects malformed JSON", () => {
  assertPayloadError(
    () => decodeLogsRequest(new TextEncoder().encode("{nope")),
    /"logs" request is not valid JSON/,
  );
});

Deno.test("logsVerb streams, and follows only when asked", () => {
  assert.equal(logsVerb.name, "logs");
  assert.ok(logsVerb.stream);
  const stream = logsVerb.stream!;
  assert.equal(stream.follows({ verb: "logs", container: "w" }), false);
  assert.equal(
    stream.follows({ verb: "logs", container: "w", follow: true }),
    true,
  );
  assert.equal(stream.lines, true);
  assert.equal(stream.limitBytes({ verb: "logs", container: "w" }), undefined);
  assert.equal(
    stream.limitBytes({ verb: "logs", container: "w", limit_bytes: 9 }),
    9,
  );
});
