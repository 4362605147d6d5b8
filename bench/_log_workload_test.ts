import assert from "node:assert/strict";
import { LOG_LINE_BYTES, logWorkload } from "./_log_workload.ts";

async function runSh(cmd: readonly string[]): Promise<Uint8Array> {
  const { code, stdout } = await new Deno.Command("/bin/sh", {
    args: cmd.slice(1),
    stdout: "piped",
    stderr: "inherit",
  }).output();
  assert.equal(code, 0);
  return stdout;
}

Deno.test("logWorkload() writes exactly totalBytes, its last line the end line", async () => {
  const { cmd, endLine } = logWorkload(10 * LOG_LINE_BYTES, { then: "true" });
  assert.equal(cmd[0], "sh");
  const out = await runSh(cmd);
  assert.equal(out.length, 10 * LOG_LINE_BYTES);
  const text = new TextDecoder().decode(out);
  const lines = text.split("\n");
  assert.equal(lines.pop(), "");
  assert.equal(lines.length, 10);
  assert.ok(lines.every((line) => line.length === LOG_LINE_BYTES - 1));
  assert.equal(`${lines.at(-1)}\n`, endLine);
  assert.ok(lines.slice(0, -1).every((line) => `${line}\n` !== endLine));
});

Deno.test("logWorkload() writes 50 MiB exactly", async () => {
  const { cmd } = logWorkload(50 * 2 ** 20, { then: "true" });
  assert.equal((await runSh(cmd)).length, 50 * 2 ** 20);
});

Deno.test("logWorkload() runs `then` after the log (default: sleep)", () => {
  assert.match(logWorkload(LOG_LINE_BYTES).cmd[2], /; exec sleep 3600$/);
  assert.match(
    logWorkload(LOG_LINE_BYTES, { then: "true" }).cmd[2],
    /; true$/,
  );
});

Deno.test("logWorkload() rejects a size that is not whole lines", () => {
  for (const bytes of [0, 150, -100, 1.5 * LOG_LINE_BYTES, NaN]) {
    assert.throws(
      () => logWorkload(bytes),
      (error: unknown) =>
        error instanceof RangeError &&
        error.message.includes(`${bytes}`),
    );
  }
});
