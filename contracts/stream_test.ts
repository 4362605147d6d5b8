import assert from "node:assert/strict";
import { encodeJson } from "./codecs.ts";
import { PayloadError } from "./payload_error.ts";
import {
  EndReason,
  MAX_CHUNK_BYTES,
  parseStreamMessage,
  StreamHeader,
} from "./stream.ts";

const lookup = (headers: Record<string, string>) => (name: string) =>
  headers[name];
const bytes = (n: number) => new Uint8Array(n).fill(7);

function assertBad(
  headers: Record<string, string>,
  data: Uint8Array,
  message: RegExp,
): void {
  assert.throws(() => parseStreamMessage(lookup(headers), data), (error) => {
    assert.ok(error instanceof PayloadError);
    assert.match(error.message, message);
    return true;
  });
}

Deno.test("StreamHeader and EndReason spell the wire protocol's names", () => {
  assert.deepEqual(Object.values(StreamHeader), [
    "X-Harmony-Seq",
    "X-Harmony-Stream",
    "X-Harmony-End",
    "X-Harmony-Exit-Code",
  ]);
  assert.deepEqual(Object.values(EndReason), [
    "eof",
    "cancelled",
    "abandoned",
    "limit",
    "deadline",
  ]);
  assert.equal(MAX_CHUNK_BYTES, 65536);
});

Deno.test("parseStreamMessage() reads a data message of 1 to 65536 bytes", () => {
  for (const n of [1, MAX_CHUNK_BYTES]) {
    const data = bytes(n);
    assert.deepEqual(
      parseStreamMessage(
        lookup({ "X-Harmony-Seq": "3", "X-Harmony-Stream": "stderr" }),
        data,
      ),
      { type: "data", seq: 3, stream: "stderr", data },
    );
  }
});

Deno.test("parseStreamMessage() reads an end message, with or without exit code", () => {
  assert.deepEqual(
    parseStreamMessage(
      lookup({
        "X-Harmony-Seq": "9",
        "X-Harmony-End": "eof",
        "X-Harmony-Exit-Code": "137",
      }),
      new Uint8Array(),
    ),
    { type: "end", seq: 9, reason: "eof", exitCode: 137 },
  );
  assert.deepEqual(
    parseStreamMessage(
      lookup({ "X-Harmony-Seq": "1", "X-Harmony-End": "deadline" }),
      new Uint8Array(),
    ),
    { type: "end", seq: 1, reason: "deadline" },
  );
});

Deno.test("parseStreamMessage() reads an error reply, from its body or its headers alone", () => {
  assert.deepEqual(
    parseStreamMessage(
      lookup({
        "X-Harmony-Seq": "2",
        "Nats-Service-Error-Code": "409",
        "Nats-Service-Error": "h",
      }),
      encodeJson({ kind: "conflict", message: "not running" }),
    ),
    {
      type: "error",
      seq: 2,
      kind: "conflict",
      code: 409,
      message: "not running",
    },
  );
  assert.deepEqual(
    parseStreamMessage(
      lookup({
        "Nats-Service-Error-Code": "504",
        "Nats-Service-Error": "late",
      }),
      new TextEncoder().encode("not json"),
    ),
    { type: "error", kind: "deadline_exceeded", code: 504, message: "late" },
  );
  assert.deepEqual(
    parseStreamMessage(
      lookup({ "Nats-Service-Error-Code": "599" }),
      new Uint8Array(),
    ),
    { type: "error", kind: "internal", code: 599, message: "" },
  );
});

Deno.test("parseStreamMessage() rejects malformed messages, naming the header", () => {
  const seq = { "X-Harmony-Seq": "1" };
  assertBad(
    { "X-Harmony-Stream": "stdout" },
    bytes(1),
    /no "X-Harmony-Seq" header/,
  );
  for (const bad of ["0", "-1", "1.5", "x", "01", "99999999999999999"]) {
    assertBad(
      { "X-Harmony-Seq": bad, "X-Harmony-Stream": "stdout" },
      bytes(1),
      /"X-Harmony-Seq" must be a positive decimal integer/,
    );
  }
  assertBad(
    { ...seq, "X-Harmony-End": "done" },
    new Uint8Array(),
    /"X-Harmony-End" must be one of "eof", .*got "done"/,
  );
  assertBad(
    { ...seq, "X-Harmony-End": "eof" },
    bytes(1),
    /end message must have an empty body, got 1 bytes/,
  );
  assertBad(
    { ...seq, "X-Harmony-End": "eof", "X-Harmony-Exit-Code": "-1" },
    new Uint8Array(),
    /"X-Harmony-Exit-Code" must be a non-negative decimal integer, got "-1"/,
  );
  assertBad(
    seq,
    bytes(1),
    /"X-Harmony-Stream" must be "stdout" or "stderr", got nothing/,
  );
  assertBad({ ...seq, "X-Harmony-Stream": "stdin" }, bytes(1), /got "stdin"/);
  assertBad(
    { ...seq, "X-Harmony-Stream": "stdout" },
    new Uint8Array(),
    /must carry 1 to 65536 bytes, got 0/,
  );
  assertBad(
    { ...seq, "X-Harmony-Stream": "stdout" },
    bytes(MAX_CHUNK_BYTES + 1),
    /must carry 1 to 65536 bytes, got 65537/,
  );
});
