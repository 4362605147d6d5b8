import assert from "node:assert/strict";
import {
  decodeCommandRequest,
  isStreamingVerb,
  isVerb,
  Verb,
  VERBS,
} from "./mod.ts";
import { assertPayloadError, json } from "./_test_assert.ts";

Deno.test("Verb names every verb of protocol version 2", () => {
  assert.deepEqual(
    { ...Verb },
    {
      Ping: "ping",
      Logs: "logs",
      Exec: "exec",
      Cancel: "cancel",
      Keepalive: "keepalive",
    },
  );
  for (const verb of Object.values(Verb)) {
    assert.ok(isVerb(verb));
    assert.equal(VERBS[verb].name, verb);
  }
  assert.equal(isVerb("reboot"), false);
  assert.equal(isVerb("toString"), false);
});

Deno.test("isStreamingVerb() is true for logs and exec only", () => {
  assert.deepEqual(
    Object.values(Verb).filter(isStreamingVerb),
    ["logs", "exec"],
  );
});

Deno.test("decodeCommandRequest() decodes by the subject's verb", () => {
  assert.deepEqual(decodeCommandRequest(new Uint8Array(), Verb.Ping), {
    verb: "ping",
  });
  assert.deepEqual(
    decodeCommandRequest(json({ container: "w" }), Verb.Logs),
    { verb: "logs", container: "w" },
  );
});

Deno.test("decodeCommandRequest() rejects an unknown verb, listing the known ones", () => {
  assertPayloadError(
    () => decodeCommandRequest(new Uint8Array(), "reboot" as Verb),
    /Unknown verb "reboot"; known verbs: "ping", "logs", "exec", "cancel", "keepalive"/,
  );
});

Deno.test("decodeCommandRequest() treats an empty or blank body as a request without fields", () => {
  assert.deepEqual(decodeCommandRequest(new Uint8Array(), Verb.Ping), {
    verb: "ping",
  });
  assert.deepEqual(
    decodeCommandRequest(new TextEncoder().encode(" \r\n"), Verb.Ping),
    {
      verb: "ping",
    },
  );
});

Deno.test("decodeCommandRequest() accepts a body naming the subject's verb, or none", () => {
  assert.deepEqual(
    decodeCommandRequest(json({ verb: "ping" }), Verb.Ping),
    { verb: "ping" },
  );
  assert.deepEqual(decodeCommandRequest(json({}), Verb.Ping), {
    verb: "ping",
  });
});

Deno.test("decodeCommandRequest() rejects malformed JSON, non-objects and a verb mismatch", () => {
  assertPayloadError(
    () => decodeCommandRequest(new TextEncoder().encode("{nope"), Verb.Ping),
    /"ping" request is not valid JSON/,
  );
  assertPayloadError(
    () => decodeCommandRequest(new TextEncoder().encode("[1]"), Verb.Ping),
    /must be a JSON object, got an array/,
  );
  assertPayloadError(
    () => decodeCommandRequest(json({ verb: "exec" }), Verb.Ping),
    /field "verb" must match the subject's verb "ping", got "exec"/,
  );
  assertPayloadError(
    () => decodeCommandRequest(json({ verb: 7 }), Verb.Ping),
    /must match the subject's verb "ping", got a number/,
  );
});
