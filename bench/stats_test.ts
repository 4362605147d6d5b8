import assert from "node:assert/strict";
import { median, percentile } from "./stats.ts";

Deno.test("percentile() uses the nearest rank", () => {
  const samples = [5, 1, 4, 2, 3];
  assert.equal(percentile(samples, 0), 1);
  assert.equal(percentile(samples, 50), 3);
  assert.equal(percentile(samples, 99), 5);
  assert.equal(percentile(samples, 100), 5);
  assert.equal(median([1, 2, 3, 4]), 2);
});

Deno.test("percentile() refuses an empty sample", () => {
  assert.throws(() => percentile([], 50), RangeError);
});
