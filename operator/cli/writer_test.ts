import assert from "node:assert/strict";
import { fileWriter, writeBytesTo } from "./writer.ts";

Deno.test("fileWriter() writes every byte, a chunk at a time", () => {
  const chunks: string[] = [];
  const writer = fileWriter({
    writeSync: (p) => {
      const n = Math.min(3, p.length);
      chunks.push(new TextDecoder().decode(p.subarray(0, n)));
      return n;
    },
  });
  writer.write("hello\n");
  assert.equal(chunks.join(""), "hello\n");
});

Deno.test("fileWriter() drops output once the reader has gone (broken pipe, as in `fleet --help | head -1`)", () => {
  let calls = 0;
  const writer = fileWriter({
    writeSync: () => {
      calls++;
      throw new Deno.errors.BrokenPipe("Broken pipe (os error 32)");
    },
  });
  writer.write("line 1\n");
  writer.write("line 2\n");
  assert.equal(calls, 1);
});

Deno.test("fileWriter() writes bytes as they are and says when the reader has gone", () => {
  const written: number[] = [];
  let broken = false;
  const writer = fileWriter({
    writeSync: (p) => {
      if (broken) throw new Deno.errors.BrokenPipe("Broken pipe (os error 32)");
      written.push(...p);
      return p.length;
    },
  });
  writer.writeBytes(new Uint8Array([0xff, 0, 0xfe]));
  assert.deepEqual(written, [0xff, 0, 0xfe]);
  assert.equal(writer.closed, false);
  broken = true;
  writer.writeBytes(new Uint8Array([1]));
  assert.equal(writer.closed, true);
});

Deno.test("writeBytesTo() decodes a character split across chunks whole for a text-only writer", () => {
  let text = "";
  const decoder = new TextDecoder();
  const writer = { write: (t: string) => void (text += t) };
  const bytes = new TextEncoder().encode("é!");
  writeBytesTo(writer, bytes.subarray(0, 1), decoder);
  writeBytesTo(writer, bytes.subarray(1), decoder);
  assert.equal(text, "é!");
});
