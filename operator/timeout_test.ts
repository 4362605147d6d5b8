import assert from "node:assert/strict";
import { checkTimeoutMs, MAX_TIMEOUT_MS } from "./timeout.ts";

Deno.test("checkTimeoutMs() keeps whole milliseconds and rounds fractions up", () => {
  assert.equal(checkTimeoutMs(5000), 5000);
  assert.equal(checkTimeoutMs(1000.5), 1001);
  assert.equal(checkTimeoutMs(1234.0001), 1235);
  assert.equal(checkTimeoutMs(0.25), 1);
  assert.equal(checkTimeoutMs(MAX_TIMEOUT_MS), MAX_TIMEOUT_MS);
});

Deno.test("checkTimeoutMs() throws RangeError naming the value for zero, negatives, NaN, infinity and more than the maximum", () => {
  assert.ok(MAX_TIMEOUT_MS < 2 ** 31, "timers overflow at 2^31 ms");
  for (
    const value of [0, -1, NaN, Infinity, MAX_TIMEOUT_MS + 0.5, 2 ** 31]
  ) {
    assert.throws(() => checkTimeoutMs(value), (error) => {
      assert.ok(error instanceof RangeError, String(value));
      assert.ok(error.message.includes(`timeout ${value} ms`), error.message);
      assert.match(error.message, /at most 86400000 ms \(24 h\)/);
      return true;
    });
  }
});
