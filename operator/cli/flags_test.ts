import assert from "node:assert/strict";
import { InvalidArgumentError } from "commander";
import {
  parseEnvEntry,
  parseLimitBytes,
  parseTail,
  parseWhen,
} from "./flags.ts";

Deno.test("parseTail() takes whole numbers from 0 and refuses -1, fractions and words", () => {
  assert.equal(parseTail("0"), 0);
  assert.equal(parseTail("250"), 250);
  for (const bad of ["-1", "1.5", "x", "", "1e3", "99999999999999999999"]) {
    assert.throws(() => parseTail(bad), InvalidArgumentError, bad);
  }
});

Deno.test("parseLimitBytes() takes whole numbers from 1", () => {
  assert.equal(parseLimitBytes("1"), 1);
  for (const bad of ["0", "-5", "1k", ""]) {
    assert.throws(() => parseLimitBytes(bad), InvalidArgumentError, bad);
  }
});

Deno.test("parseWhen() keeps an RFC 3339 time as written and turns a duration into that long ago", () => {
  assert.equal(
    parseWhen("2026-11-27T18:00:00+01:00"),
    "2026-11-27T18:00:00+01:00",
  );
  const before = Date.now();
  const ago = parseWhen("1.5h");
  assert.ok(ago instanceof Date);
  const ms = ago.getTime();
  assert.ok(ms <= Date.now() - 5_400_000 && ms >= before - 5_400_000);
  for (
    const bad of ["10", "yesterday", "2026-02-30T00:00:00Z", "-10m", "1.2.3m"]
  ) {
    assert.throws(
      () => parseWhen(bad),
      (error: unknown) =>
        error instanceof InvalidArgumentError &&
        /a duration with a unit such as 10m/.test(error.message),
      bad,
    );
  }
});

Deno.test("parseEnvEntry() splits at the first = and refuses an entry without name or =", () => {
  assert.deepEqual(parseEnvEntry("A=", undefined), { A: "" });
  assert.deepEqual(parseEnvEntry("B=x=y", { A: "1" }), { A: "1", B: "x=y" });
  assert.deepEqual(parseEnvEntry("A=2", { A: "1" }), { A: "2" });
  for (const bad of ["A", "=x", ""]) {
    assert.throws(
      () => parseEnvEntry(bad, undefined),
      InvalidArgumentError,
      bad,
    );
  }
});
