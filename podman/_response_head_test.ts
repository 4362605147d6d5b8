import assert from "node:assert/strict";
import { HttpFramingError } from "./_http_error.ts";
import {
  MAX_HEAD_BYTES,
  parseResponseHead,
  type ResponseHead,
  ResponseHeadReader,
} from "./_response_head.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

const ANSWER = "HTTP/1.1 200 OK\r\n" +
  "Api-Version: 1.41\r\n" +
  "Content-Type: application/json\r\n" +
  "Libpod-Api-Version: 4.3.1\r\n" +
  "X-Twice: a\r\n" +
  "x-twice: b\r\n" +
  "Transfer-Encoding: chunked\r\n" +
  "\r\n";
const BODY = "1a\r\nbody bytes after the head\r\n";

/** Feeds `pieces` to a fresh reader; returns what it gave and how many pushes it took. */
function read(pieces: Uint8Array[]) {
  const reader = new ResponseHeadReader();
  for (const [index, piece] of pieces.entries()) {
    const found = reader.push(piece);
    if (found !== undefined) return { ...found, pushes: index + 1 };
  }
  return undefined;
}

function expectHead(head: ResponseHead) {
  assert.equal(head.version, "HTTP/1.1");
  assert.equal(head.status, 200);
  assert.equal(head.reason, "OK");
  assert.deepEqual(
    [...head.headers],
    [
      ["api-version", "1.41"],
      ["content-type", "application/json"],
      ["libpod-api-version", "4.3.1"],
      ["x-twice", "a, b"],
      ["transfer-encoding", "chunked"],
    ],
  );
}

Deno.test("ResponseHeadReader.push() finds the head split at every byte, and hands back the bytes after it", () => {
  const bytes = encoder.encode(ANSWER + BODY);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const found = read([bytes.subarray(0, cut), bytes.subarray(cut)]);
    assert.ok(found, `cut at ${cut}`);
    expectHead(found.head);
    // Found in the first piece, it holds only that piece's rest.
    const restEnd = cut >= ANSWER.length ? cut : bytes.length;
    assert.equal(
      decoder.decode(found.rest),
      (ANSWER + BODY).slice(ANSWER.length, restEnd),
      `cut at ${cut}`,
    );
    assert.equal(found.pushes, cut >= ANSWER.length ? 1 : 2, `cut at ${cut}`);
  }
});

Deno.test("ResponseHeadReader.push() finds the head fed one byte at a time", () => {
  const bytes = encoder.encode(ANSWER);
  const found = read([...bytes].map((byte) => Uint8Array.of(byte)));
  assert.ok(found);
  expectHead(found.head);
  assert.equal(found.pushes, bytes.length);
  assert.equal(found.rest.length, 0);
});

Deno.test("ResponseHeadReader.push() hands back a copy of the bytes after the head", () => {
  const bytes = encoder.encode(ANSWER + BODY);
  const found = read([bytes]);
  assert.ok(found);
  bytes.fill(0);
  assert.equal(decoder.decode(found.rest), BODY);
});

Deno.test("ResponseHeadReader.push() throws HttpFramingError for a head longer than its limit", () => {
  const reader = new ResponseHeadReader();
  const line = encoder.encode(`X-Long: ${"x".repeat(1000)}\r\n`);
  assert.equal(reader.push(encoder.encode("HTTP/1.1 200 OK\r\n")), undefined);
  assert.throws(
    () => {
      for (let i = 0; i <= MAX_HEAD_BYTES / line.length; i++) reader.push(line);
    },
    (error) => {
      assert.ok(error instanceof HttpFramingError);
      assert.equal(error.name, "HttpFramingError");
      assert.match(error.message, /head is longer than 65536 bytes/);
      return true;
    },
  );
});

Deno.test("parseResponseHead() reads the status line, with or without a reason, of HTTP/1.0 and 1.1", () => {
  assert.deepEqual(parseResponseHead("HTTP/1.1 101 UPGRADED"), {
    version: "HTTP/1.1",
    status: 101,
    reason: "UPGRADED",
    headers: new Map(),
  });
  assert.equal(parseResponseHead("HTTP/1.0 404 Not Found").reason, "Not Found");
  assert.equal(parseResponseHead("HTTP/1.1 204 ").reason, "");
  assert.equal(parseResponseHead("HTTP/1.1 204").status, 204);
  assert.equal(
    parseResponseHead("HTTP/1.1 500 Internal Server Error").reason,
    "Internal Server Error",
  );
});

Deno.test("parseResponseHead() lower-cases names, trims values and joins repeated fields", () => {
  const head = parseResponseHead(
    "HTTP/1.1 200 OK\r\nContent-Length:  12 \r\nVary: a\r\nVARY:b\r\nEmpty:\r\n",
  );
  assert.deepEqual([...head.headers], [
    ["content-length", "12"],
    ["vary", "a, b"],
    ["empty", ""],
  ]);
});

Deno.test("parseResponseHead() throws HttpFramingError for what is not an HTTP/1.x answer", () => {
  for (
    const [text, problem] of [
      [
        "SSH-2.0-OpenSSH_9.2",
        /not an HTTP\/1\.x answer: "SSH-2\.0-OpenSSH_9\.2"/,
      ],
      ["HTTP/2 200", /not an HTTP\/1\.x answer/],
      ["HTTP/1.1 20 OK", /not an HTTP\/1\.x answer/],
      ["HTTP/1.1 200 OK\r\nno colon here", /bad header line "no colon here"/],
      ["HTTP/1.1 200 OK\r\n: empty name", /bad header line ": empty name"/],
      ["HTTP/1.1 200 OK\r\nBad Name: x", /bad header line "Bad Name: x"/],
      [
        "HTTP/1.1 200 OK\r\nA: b\r\n folded",
        /bad header line " folded" \(obsolete line folding\)/,
      ],
    ] as const
  ) {
    assert.throws(() => parseResponseHead(text), (error) => {
      assert.ok(error instanceof HttpFramingError, text);
      assert.match(error.message, /^Cannot read the HTTP answer: /);
      assert.match(error.message, problem);
      return true;
    });
  }
});
