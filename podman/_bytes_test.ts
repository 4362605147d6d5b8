import assert from "node:assert/strict";
import { concatBytes } from "./_bytes.ts";

Deno.test("concatBytes() joins the parts in order into a new array", () => {
  const a = Uint8Array.of(1, 2);
  const b = Uint8Array.of(3);
  const joined = concatBytes([a, new Uint8Array(0), b]);
  assert.deepEqual(joined, Uint8Array.of(1, 2, 3));
  a.fill(0);
  assert.deepEqual(joined, Uint8Array.of(1, 2, 3));
  assert.deepEqual(concatBytes([]), new Uint8Array(0));
});
