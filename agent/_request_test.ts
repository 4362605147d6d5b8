import assert from "node:assert/strict";
import { resolveCommand } from "./_request.ts";
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
    message: 'Unknown verb "reboot" for device "d1"; known verbs: "ping"',
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
  const resolution = resolve({ subject: "device-commands.d2.ping" });
  assert.ok(!resolution.ok);
  assert.equal(resolution.kind, "bad_request");
});
