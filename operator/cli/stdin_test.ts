import assert from "node:assert/strict";
import { MAX_EXEC_STDIN_BYTES } from "../../contracts/mod.ts";
import { CliUsageError } from "./errors.ts";
import { readStdin } from "./stdin.ts";

function chunks(...parts: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    pull(controller) {
      const next = parts.shift();
      if (next === undefined) controller.close();
      else controller.enqueue(next);
    },
  });
}

Deno.test("readStdin() reads to the end, up to exactly the limit", async () => {
  const never = new AbortController().signal;
  assert.deepEqual(await readStdin(chunks(), never), new Uint8Array());
  const half = new Uint8Array(MAX_EXEC_STDIN_BYTES / 2).fill(7);
  const all = await readStdin(chunks(half, half), never);
  assert.equal(all.length, MAX_EXEC_STDIN_BYTES);
  assert.equal(all[MAX_EXEC_STDIN_BYTES - 1], 7);
});

Deno.test("readStdin() refuses one byte over the limit, naming -i, and stops reading", async () => {
  let pulls = 0;
  const endless = new ReadableStream<Uint8Array>({
    pull(controller) {
      pulls++;
      controller.enqueue(new Uint8Array(65_536));
    },
  });
  const error = await readStdin(endless, new AbortController().signal)
    .catch((e) => e);
  assert.ok(error instanceof CliUsageError, String(error));
  assert.equal(error.source, "-i");
  assert.match(error.message, /^-i: stdin is more than 524288 bytes/);
  assert.ok(pulls <= 10, `${pulls}`);
});

Deno.test("readStdin() gives up on an abort with its reason, while waiting for input", async () => {
  const controller = new AbortController();
  const silent = new ReadableStream<Uint8Array>({
    pull: () => new Promise(() => {}),
  });
  const pending = readStdin(silent, controller.signal).catch((e) => e);
  controller.abort("SIGINT");
  assert.equal(await pending, "SIGINT");
});
