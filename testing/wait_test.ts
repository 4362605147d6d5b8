import assert from "node:assert/strict";
import { waitFor } from "./wait.ts";

Deno.test("waitFor() resolves with the first value that is not undefined or false", async () => {
  const values = [undefined, false, 0, 1];
  let calls = 0;
  const value = await waitFor("a value", () => values[calls++], {
    intervalMs: 1,
  });
  assert.equal(value, 0);
  assert.equal(calls, 3);
  assert.equal(await waitFor("true", () => Promise.resolve(true)), true);
});

Deno.test("waitFor() times out naming what it waited for", async () => {
  const started = Date.now();
  await assert.rejects(
    waitFor("Godot", () => false, { timeoutMs: 50, intervalMs: 5 }),
    (error) => {
      assert.ok(error instanceof Error);
      assert.equal(error.message, "Timed out after 50 ms waiting for Godot");
      return true;
    },
  );
  assert.ok(Date.now() - started >= 50);
});

Deno.test("waitFor() ends with the error of a condition that throws", async () => {
  const boom = new Error("boom");
  await assert.rejects(
    waitFor("nothing", () => Promise.reject(boom)),
    (error) => error === boom,
  );
});
