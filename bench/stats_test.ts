import assert from "node:assert/strict";
import { median, mibPerSecond, percentile } from "./stats.ts";

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

Deno.test("mibPerSecond() is MiB (2^20 bytes) per second", () => {
  assert.equal(mibPerSecond(50 * 2 ** 20, 500), 100);
  assert.equal(mibPerSecond(2 ** 20, 1000), 1);
});

Deno.test("mibPerSecond() refuses a duration that is not positive", () => {
  for (const ms of [0, -1, NaN]) {
    assert.throws(
      () => mibPerSecond(1, ms),
      (error: unknown) =>
        error instanceof RangeError && error.message.includes(`${ms}`),
    );
  }
});
