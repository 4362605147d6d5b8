import assert from "node:assert/strict";
import { concatBytes } from "./_bytes.ts";
import { ChunkedDecoder, MAX_CHUNK_LINE_BYTES } from "./_chunked.ts";
import { HttpFramingError } from "./_http_error.ts";

const encoder = new TextEncoder();

/** Feeds `pieces` to a fresh decoder; returns the data and whether it is done. */
function decode(pieces: Uint8Array[], decoder = new ChunkedDecoder()) {
  const parts = pieces.flatMap((piece) => decoder.push(piece));
  for (const part of parts) assert.ok(part.length > 0, "no empty parts");
  return {
    data: new TextDecoder().decode(concatBytes(parts)),
    done: decoder.done,
  };
}

/** Every way to cut `bytes` into two pieces and into three. */
function* splits(bytes: Uint8Array): Generator<Uint8Array[]> {
  for (let i = 0; i <= bytes.length; i++) {
    yield [bytes.subarray(0, i), bytes.subarray(i)];
    for (let j = i; j <= bytes.length; j++) {
      yield [bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)];
    }
  }
  yield [...bytes].map((byte) => Uint8Array.of(byte));
}

function expectFraming(problem: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof HttpFramingError, String(error));
    assert.equal(error.name, "HttpFramingError");
    assert.match(error.message, /^Cannot read the HTTP answer: /);
    assert.match(error.message, problem);
    return true;
  };
}

// Chunks as podman sends a log (one per frame), a chunk extension with
// spaces and a quoted value, upper- and lower-case hex with leading
// zeros, a last chunk with an extension, and trailers.
const BODY = "e\r\n\x01\0\0\0\0\0\0\x06out 1\n\r\n" +
  '5 ; name="a;b" ;x\r\nhello\r\n' +
  "00A\r\n0123456789\r\n" +
  "1b\r\n" + "x".repeat(27) + "\r\n" +
  "0;last\r\nExpires: never\r\nX-Count: 3\r\n\r\n";
const DATA = "\x01\0\0\0\0\0\0\x06out 1\n" + "hello" + "0123456789" +
  "x".repeat(27);

Deno.test("ChunkedDecoder.push() decodes a body split at every byte (every cut into two and three pieces, and byte by byte)", () => {
  const bytes = encoder.encode(BODY);
  let cases = 0;
  for (const pieces of splits(bytes)) {
    const { data, done } = decode(pieces);
    assert.equal(data, DATA, `pieces ${pieces.map((p) => p.length)}`);
    assert.ok(done);
    cases++;
  }
  assert.ok(cases > bytes.length * bytes.length / 2);
});

Deno.test("ChunkedDecoder.push() is not done until the blank line after the last chunk", () => {
  const bytes = encoder.encode(BODY);
  for (let cut = 0; cut < bytes.length; cut++) {
    const decoder = new ChunkedDecoder();
    decoder.push(bytes.subarray(0, cut));
    assert.equal(decoder.done, false, `cut at ${cut}`);
    assert.throws(() => decoder.end(), HttpFramingError);
  }
  const decoder = new ChunkedDecoder();
  decoder.push(bytes);
  decoder.end();
});

Deno.test("ChunkedDecoder.push() returns views into the bytes pushed and ignores bytes after the end", () => {
  const bytes = encoder.encode("3\r\nabc\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n");
  const decoder = new ChunkedDecoder();
  const [part, ...more] = decoder.push(bytes);
  assert.equal(more.length, 0);
  assert.equal(part.buffer, bytes.buffer);
  assert.equal(new TextDecoder().decode(part), "abc");
  assert.ok(decoder.done);
  assert.deepEqual(decoder.push(encoder.encode("5\r\nmore!\r\n")), []);
});

Deno.test("ChunkedDecoder.push() reads an empty body (only the last chunk)", () => {
  for (const pieces of splits(encoder.encode("0\r\n\r\n"))) {
    assert.deepEqual(decode(pieces), { data: "", done: true });
  }
});

Deno.test("ChunkedDecoder.push() throws HttpFramingError for a bad chunk size line", () => {
  for (
    const [body, problem] of [
      ["x\r\n", /a chunk size line does not start with a hex digit: byte 0x78/],
      ["\r\n", /a chunk size line does not start with a hex digit: byte 0x0d/],
      [" 5\r\n", /does not start with a hex digit: byte 0x20/],
      ["5x\r\n", /unexpected byte 0x78 \("x"\) after the chunk size/],
      ["5 x\r\n", /unexpected byte 0x78 \("x"\) after the chunk size/],
      ["5\n", /a bare LF ends a chunk size line/],
      ["5\rx", /CR not followed by LF in a chunk size line: byte 0x78/],
      ["5;a\nb", /a bare LF ends a chunk size line/],
      ["10000000001\r\n", /chunk size 0x10000000001… is too large/],
      ["3\r\nabcX", /a chunk's data is not followed by CRLF: byte 0x58/],
      ["3\r\nabc\rX", /a chunk's data is not followed by CRLF: byte 0x58/],
      ["0\r\nA: b\nc", /a bare LF in the trailer section/],
      ["0\r\n\rX", /CR not followed by LF at the end of the trailer section/],
    ] as const
  ) {
    const bytes = encoder.encode(body);
    for (const pieces of splits(bytes)) {
      assert.throws(
        () => decode(pieces),
        expectFraming(problem),
        `${JSON.stringify(body)} as ${pieces.map((p) => p.length)}`,
      );
    }
  }
});

Deno.test("ChunkedDecoder.push() throws HttpFramingError for a chunk size line or trailers longer than their limits", () => {
  const decoder = new ChunkedDecoder();
  assert.throws(
    () => decoder.push(encoder.encode(`5;${"e".repeat(MAX_CHUNK_LINE_BYTES)}`)),
    expectFraming(/a chunk size line is longer than 4096 bytes/),
  );
  const trailers = new ChunkedDecoder();
  trailers.push(encoder.encode("0\r\n"));
  const field = encoder.encode(`X-Big: ${"t".repeat(1000)}\r\n`);
  assert.throws(
    () => {
      for (let i = 0; i < 100; i++) trailers.push(field);
    },
    expectFraming(/the trailer section is longer than 65536 bytes/),
  );
});

Deno.test("ChunkedDecoder.end() says where the body stopped", () => {
  for (
    const [body, problem] of [
      ["", /it ended before the last chunk/],
      ["3\r\nabc\r\n", /it ended before the last chunk/],
      ["1", /it ended inside a chunk size line/],
      ["1;ext", /it ended inside a chunk size line/],
      ["5\r\nab", /it ended inside a chunk \(2 of 5 data bytes\)/],
      ["5\r\nabcde", /it ended inside a chunk \(5 of 5 data bytes\)/],
      ["5\r\nabcde\r", /it ended inside a chunk \(5 of 5 data bytes\)/],
      ["0\r\n", /it ended inside the trailer section/],
      ["0\r\nA: b\r\n", /it ended inside the trailer section/],
      ["0\r\n\r", /it ended inside the trailer section/],
    ] as const
  ) {
    const decoder = new ChunkedDecoder();
    decoder.push(encoder.encode(body));
    assert.equal(decoder.done, false, body);
    assert.throws(() => decoder.end(), expectFraming(problem), body);
  }
});
