import assert from "node:assert/strict";
import {
  demuxFrames,
  FrameDemuxer,
  FrameStreamError,
  type StreamChunk,
} from "./frames.ts";

const encoder = new TextEncoder();

function frame(stream: number, payload: Uint8Array | string): Uint8Array {
  const bytes = typeof payload === "string" ? encoder.encode(payload) : payload;
  const out = new Uint8Array(8 + bytes.length);
  out[0] = stream;
  new DataView(out.buffer).setUint32(4, bytes.length);
  out.set(bytes, 8);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Joins consecutive chunks of the same stream, as a reader would see them. */
function joined(chunks: StreamChunk[]): [string, string][] {
  const out: [string, string][] = [];
  for (const { stream, data } of chunks) {
    const text = new TextDecoder().decode(data);
    const last = out.at(-1);
    if (last && last[0] === stream) last[1] += text;
    else out.push([stream, text]);
  }
  return out;
}

function pushAll(pieces: Uint8Array[]): StreamChunk[] {
  const demuxer = new FrameDemuxer();
  const chunks = pieces.flatMap((piece) => demuxer.push(piece));
  demuxer.end();
  return chunks;
}

Deno.test("FrameDemuxer.push() splits many frames that share one read", () => {
  const bytes = concat(
    frame(1, "out 1\n"),
    frame(2, "err 1\n"),
    frame(1, "out 2\n"),
  );
  assert.deepEqual(joined(pushAll([bytes])), [
    ["stdout", "out 1\n"],
    ["stderr", "err 1\n"],
    ["stdout", "out 2\n"],
  ]);
});

Deno.test("FrameDemuxer.push() reassembles headers and payloads split at every byte", () => {
  const bytes = concat(frame(1, "hello\n"), frame(2, "oops\n"), frame(1, "x"));
  for (let cut = 1; cut < bytes.length; cut++) {
    const chunks = pushAll([bytes.subarray(0, cut), bytes.subarray(cut)]);
    assert.deepEqual(joined(chunks), [
      ["stdout", "hello\n"],
      ["stderr", "oops\n"],
      ["stdout", "x"],
    ], `cut at ${cut}`);
  }
  const oneByOne = [...bytes].map((byte) => Uint8Array.of(byte));
  assert.deepEqual(joined(pushAll(oneByOne)), [
    ["stdout", "hello\n"],
    ["stderr", "oops\n"],
    ["stdout", "x"],
  ]);
});

Deno.test("FrameDemuxer.push() yields nothing for zero-length frames", () => {
  const bytes = concat(frame(1, ""), frame(2, "e"), frame(2, ""), frame(1, ""));
  assert.deepEqual(joined(pushAll([bytes])), [["stderr", "e"]]);
  assert.deepEqual(pushAll([frame(1, "")]), []);
});

Deno.test("FrameDemuxer.push() streams a huge frame out as its bytes arrive, without copying it whole", () => {
  const size = 32 * 1024 * 1024 + 3;
  const payload = new Uint8Array(size);
  for (let i = 0; i < size; i += 4096) payload[i] = i & 0xff;
  const bytes = frame(2, payload);
  const demuxer = new FrameDemuxer();
  const pieceSize = 1024 * 1024;
  let received = 0;
  let pieces = 0;
  for (let offset = 0; offset < bytes.length; offset += pieceSize) {
    for (
      const chunk of demuxer.push(bytes.subarray(offset, offset + pieceSize))
    ) {
      assert.equal(chunk.stream, "stderr");
      assert.ok(chunk.data.length <= pieceSize);
      assert.equal(chunk.data[0], payload[received]);
      received += chunk.data.length;
      pieces++;
    }
  }
  demuxer.end();
  assert.equal(received, size);
  assert.ok(pieces >= 32);
});

Deno.test("FrameDemuxer.push() keeps binary (non-UTF-8) payloads byte for byte", () => {
  const payload = Uint8Array.from({ length: 256 }, (_, i) => i);
  const chunks = pushAll([
    frame(1, payload).subarray(0, 100),
    frame(1, payload).subarray(100),
  ]);
  assert.deepEqual(concat(...chunks.map((c) => c.data)), payload);
});

Deno.test("FrameDemuxer.end() throws FrameStreamError when the stream stops inside a header", () => {
  const demuxer = new FrameDemuxer();
  demuxer.push(concat(frame(1, "ok\n"), Uint8Array.of(1, 0, 0)));
  assert.throws(() => demuxer.end(), (error: unknown) => {
    assert.ok(error instanceof FrameStreamError);
    assert.equal(error.name, "FrameStreamError");
    assert.match(error.message, /ended inside a frame header \(3 of 8 bytes\)/);
    return true;
  });
});

Deno.test("FrameDemuxer.end() throws FrameStreamError when the stream stops inside a payload", () => {
  const demuxer = new FrameDemuxer();
  const chunks = demuxer.push(frame(2, "truncated line\n").subarray(0, 12));
  assert.deepEqual(joined(chunks), [["stderr", "trun"]]);
  assert.throws(() => demuxer.end(), (error: unknown) => {
    assert.ok(error instanceof FrameStreamError);
    assert.match(
      error.message,
      /ended inside a stderr frame \(4 of 15 payload bytes\)/,
    );
    return true;
  });
});

Deno.test("FrameDemuxer.push() throws FrameStreamError on a header that is not a stream frame", () => {
  for (
    const [header, problem] of [
      [[7, 0, 0, 0, 0, 0, 0, 1], /unknown stream 7/],
      [[1, 0, 9, 0, 0, 0, 0, 1], /bytes 1–3 of a frame header must be 0/],
      [[...encoder.encode("hello wo")], /unknown stream 104/],
    ] as const
  ) {
    assert.throws(
      () => new FrameDemuxer().push(Uint8Array.from(header)),
      (error: unknown) => {
        assert.ok(error instanceof FrameStreamError);
        assert.match(error.message, problem);
        return true;
      },
    );
  }
});

Deno.test("FrameDemuxer.push() reads stream 0 as stdout, as Docker's stdcopy does", () => {
  assert.deepEqual(joined(pushAll([frame(0, "in")])), [["stdout", "in"]]);
});

Deno.test("FrameDemuxer.push() turns a system-error frame (stream 3) into a FrameStreamError carrying its text", () => {
  assert.throws(
    () => new FrameDemuxer().push(frame(3, "container died")),
    (error: unknown) => {
      assert.ok(error instanceof FrameStreamError);
      assert.match(
        error.message,
        /the server reported an error: container died/,
      );
      return true;
    },
  );
});

Deno.test("demuxFrames() demultiplexes an async source and throws on a truncated one", async () => {
  async function* source(parts: Uint8Array[]) {
    for (const part of parts) yield part;
  }
  const bytes = concat(frame(1, "a\n"), frame(2, "b\n"));
  const chunks: StreamChunk[] = [];
  for await (
    const chunk of demuxFrames(
      source([bytes.subarray(0, 5), bytes.subarray(5)]),
    )
  ) {
    chunks.push(chunk);
  }
  assert.deepEqual(joined(chunks), [["stdout", "a\n"], ["stderr", "b\n"]]);
  await assert.rejects(async () => {
    for await (const _ of demuxFrames(source([bytes.subarray(0, 13)]))) {
      // drain
    }
  }, FrameStreamError);
});
