import assert from "node:assert/strict";
import { fileWriter } from "./writer.ts";

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
