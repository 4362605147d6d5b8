import assert from "node:assert/strict";
import { readRequestHeaders, resolveCommand } from "./_request.ts";
import type { CommandHandlers } from "./handler.ts";

const ping = () => ({ pong: true });
const handlers: CommandHandlers = { ping };
const encode = (text: string) => new TextEncoder().encode(text);
const NOW = 1_700_000_000_000;

function resolve(
  overrides: Partial<Parameters<typeof resolveCommand>[0]> = {},
) {
  return resolveCommand({
    deviceId: "d1",
    subject: "device-commands.d1.ping",
    data: new Uint8Array(),
    handlers,
    now: NOW,
    ...overrides,
  });
}

Deno.test("resolveCommand() dispatches a ping with an empty body", () => {
  const resolution = resolve();
  assert.ok(resolution.ok);
  assert.equal(resolution.verb, "ping");
  assert.equal(resolution.handler, ping);
  assert.deepEqual(resolution.request, { verb: "ping" });
  assert.equal(resolution.deadline, undefined);
});

Deno.test("resolveCommand() accepts a body naming the same verb and a future deadline", () => {
  const resolution = resolve({
    data: encode('{"verb":"ping"}'),
    deadlineHeader: String(NOW + 1),
  });
  assert.ok(resolution.ok);
  assert.equal(resolution.deadline, NOW + 1);
});

Deno.test("resolveCommand() answers bad_request for an unknown verb", () => {
  const resolution = resolve({ subject: "device-commands.d1.reboot" });
  assert.deepEqual(resolution, {
    ok: false,
    verb: "reboot",
    kind: "bad_request",
    message:
      'Unknown verb "reboot" for device "d1"; known verbs: "ping", "logs", "exec", "cancel", "keepalive"',
  });
  const nested = resolve({ subject: "device-commands.d1.ping.extra" });
  assert.ok(!nested.ok);
  assert.equal(nested.kind, "bad_request");
  assert.match(nested.message, /Unknown verb "ping.extra"/);
});

Deno.test("resolveCommand() answers bad_request for malformed JSON", () => {
  const resolution = resolve({ data: encode("{not json") });
  assert.ok(!resolution.ok);
  assert.equal(resolution.kind, "bad_request");
  assert.match(
    resolution.message,
    /^Bad "ping" request for device "d1": "ping" request is not valid JSON: /,
  );
});

Deno.test("resolveCommand() answers bad_request for a body that is not an object", () => {
  const resolution = resolve({ data: encode("[1]") });
  assert.ok(!resolution.ok);
  assert.equal(resolution.kind, "bad_request");
  assert.match(resolution.message, /must be a JSON object, got an array/);
});

Deno.test("resolveCommand() answers bad_request for a verb mismatch", () => {
  const resolution = resolve({ data: encode('{"verb":"exec"}') });
  assert.ok(!resolution.ok);
  assert.equal(resolution.kind, "bad_request");
  assert.match(
    resolution.message,
    /must match the subject's verb "ping", got "exec"/,
  );
});

Deno.test("resolveCommand() answers bad_request for a malformed deadline header", () => {
  for (const header of ["soon", "-5", "1.5", "", "1e12"]) {
    const resolution = resolve({ deadlineHeader: header });
    assert.ok(!resolution.ok, header);
    assert.equal(resolution.kind, "bad_request");
    assert.match(
      resolution.message,
      /header X-Harmony-Deadline must be Unix epoch milliseconds in decimal, got /,
    );
  }
});

Deno.test("resolveCommand() answers deadline_exceeded when the deadline passed on arrival", () => {
  const resolution = resolve({ deadlineHeader: String(NOW - 250) });
  assert.deepEqual(resolution, {
    ok: false,
    verb: "ping",
    kind: "deadline_exceeded",
    message:
      'Deadline of "ping" request passed 250 ms before device "d1" received it',
  });
  const exact = resolve({ deadlineHeader: String(NOW) });
  assert.ok(!exact.ok);
  assert.equal(exact.kind, "deadline_exceeded");
});

Deno.test("resolveCommand() answers unsupported for a known verb without a handler", () => {
  const resolution = resolve({ handlers: {} });
  assert.ok(!resolution.ok);
  assert.equal(resolution.kind, "unsupported");
  assert.equal(
    resolution.message,
    'Verb "ping" is not available on device "d1"',
  );
});

Deno.test("resolveCommand() rejects a subject of another device", () => {
  for (
    const subject of [
      "device-commands.d2.ping",
      "device-commands.d10.ping",
      "device-commands.d1",
      "device-heartbeat.d1.ping",
      "ping",
    ]
  ) {
    const resolution = resolve({ subject });
    assert.ok(!resolution.ok, subject);
    assert.equal(resolution.kind, "bad_request");
    assert.equal(resolution.verb, undefined, subject);
    assert.match(
      resolution.message,
      /is not a command subject for device "d1"/,
    );
  }
  const empty = resolve({ subject: "device-commands.d1." });
  assert.ok(!empty.ok);
  assert.match(empty.message, /Unknown verb ""/);
});

Deno.test("readRequestHeaders() reads the X-Harmony request headers, exact spelling or any letter case", () => {
  assert.deepEqual(readRequestHeaders(undefined), {});
  const exact = new Map([
    ["X-Harmony-Request-Id", ["r-1"]],
    ["X-Harmony-Deadline", ["1700000000000"]],
    ["X-Harmony-Operator-Sub", ["alice"]],
    ["Other", ["x"]],
  ]);
  assert.deepEqual(readRequestHeaders(exact), {
    requestId: "r-1",
    deadline: "1700000000000",
    operatorSub: "alice",
  });
  const lower = new Map([
    ["x-harmony-request-id", ["r-2"]],
    ["X-HARMONY-OPERATOR-SUB", ["bob", "carol"]],
  ]);
  assert.deepEqual(readRequestHeaders(lower), {
    requestId: "r-2",
    operatorSub: "bob",
  });
  // The exact spelling wins over another casing, whatever the order.
  const both = new Map([
    ["x-harmony-request-id", ["lower"]],
    ["X-Harmony-Request-Id", ["exact"]],
  ]);
  assert.deepEqual(readRequestHeaders(both), { requestId: "exact" });
});
