import assert from "node:assert/strict";
import { InvalidArgumentError } from "commander";
import {
  DurationSyntaxError,
  parseDuration,
  parseTimeoutOption,
} from "./duration.ts";

Deno.test("parseDuration() reads units and plain milliseconds", () => {
  assert.equal(parseDuration("5s"), 5000);
  assert.equal(parseDuration("500ms"), 500);
  assert.equal(parseDuration("1.5s"), 1500);
  assert.equal(parseDuration("2m"), 120_000);
  assert.equal(parseDuration("1h"), 3_600_000);
  assert.equal(parseDuration("2000"), 2000);
  assert.equal(parseDuration(" 250 "), 250);
});

Deno.test("parseDuration() rejects zero, negatives, spaces, unknown units and words", () => {
  for (
    const text of [
      "",
      "0",
      "0s",
      "-1s",
      "5 s",
      "5sec",
      "1d",
      "soon",
      "s",
      "1e3",
      "NaN",
    ]
  ) {
    assert.throws(() => parseDuration(text), (error) => {
      assert.ok(
        error instanceof DurationSyntaxError,
        `for ${JSON.stringify(text)}`,
      );
      assert.ok(error instanceof TypeError);
      assert.equal(error.text, text);
      assert.match(error.message, /^Invalid duration ".*": expected/);
      return true;
    });
  }
});

Deno.test("parseDuration() rounds fractions of a millisecond up", () => {
  assert.equal(parseDuration("1000.5"), 1001);
  assert.equal(parseDuration("1.2345s"), 1235);
  assert.equal(parseDuration("2500.25ms"), 2501);
  assert.equal(parseDuration("0.1ms"), 1);
});

Deno.test("parseTimeoutOption() takes up to 24h and throws InvalidArgumentError beyond or for bad text", () => {
  assert.equal(parseTimeoutOption("24h"), 86_400_000);
  assert.equal(parseTimeoutOption("2500.25ms"), 2501);
  for (const text of ["24.001h", "597h", "soon", "0"]) {
    assert.throws(() => parseTimeoutOption(text), (error) => {
      assert.ok(error instanceof InvalidArgumentError, text);
      assert.match(error.message, /at most 24h|expected a duration/);
      return true;
    });
  }
});
