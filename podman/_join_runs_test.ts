import assert from "node:assert/strict";
import type { StreamChunk } from "./frames.ts";
import { joinRuns } from "./_join_runs.ts";

const encoder = new TextEncoder();

function chunk(stream: "stdout" | "stderr", text: string): StreamChunk {
  return { stream, data: encoder.encode(text) };
}

function texts(chunks: StreamChunk[]): [string, string][] {
  return chunks.map((
    { stream, data },
  ) => [stream, new TextDecoder().decode(data)]);
}

Deno.test("joinRuns() joins adjacent chunks of the same stream, in order", () => {
  const joined = joinRuns([
    chunk("stdout", "out 1\n"),
    chunk("stdout", "out 2\n"),
    chunk("stderr", "err 1\n"),
    chunk("stdout", "out 3\n"),
    chunk("stdout", "out 4\n"),
    chunk("stdout", "no newline"),
    chunk("stderr", "err 2\n"),
    chunk("stderr", "err 3\n"),
  ]);
  assert.deepEqual(texts(joined), [
    ["stdout", "out 1\nout 2\n"],
    ["stderr", "err 1\n"],
    ["stdout", "out 3\nout 4\nno newline"],
    ["stderr", "err 2\nerr 3\n"],
  ]);
});

Deno.test("joinRuns() returns chunks that own their bytes, a single chunk too", () => {
  const read = encoder.encode("abcdef");
  const joined = joinRuns([
    { stream: "stdout", data: read.subarray(0, 2) },
    { stream: "stderr", data: read.subarray(2, 3) },
    { stream: "stderr", data: read.subarray(3, 6) },
  ]);
  read.fill(0);
  assert.deepEqual(texts(joined), [["stdout", "ab"], ["stderr", "cdef"]]);
  for (const { data } of joined) {
    assert.notEqual(data.buffer, read.buffer);
    assert.equal(data.byteLength, data.buffer.byteLength);
  }
});

Deno.test("joinRuns() of nothing is nothing", () => {
  assert.deepEqual(joinRuns([]), []);
});
