import assert from "node:assert/strict";
import { parseRfc3339 } from "./rfc3339.ts";

Deno.test("parseRfc3339() reads UTC, offsets and fractions", () => {
  assert.equal(parseRfc3339("1970-01-01T00:00:01Z"), 1000);
  assert.equal(parseRfc3339("1970-01-01t00:00:01z"), 1000);
  assert.equal(parseRfc3339("1970-01-01T01:00:01+01:00"), 1000);
  assert.equal(parseRfc3339("1969-12-31T23:30:01-00:30"), 1000);
  assert.equal(parseRfc3339("1970-01-01T00:00:01.25Z"), 1250);
  assert.equal(parseRfc3339("1970-01-01T00:00:01.123456789Z"), 1123);
  assert.equal(
    parseRfc3339("2024-02-29T12:00:00Z"),
    Date.parse("2024-02-29T12:00:00Z"),
  );
  assert.equal(
    parseRfc3339("2016-12-31T23:59:60Z"),
    Date.parse("2016-12-31T23:59:59.999Z"),
  );
  assert.equal(
    parseRfc3339("0050-01-01T00:00:00Z"),
    Date.parse("0050-01-01T00:00:00Z"),
  );
});

Deno.test("parseRfc3339() refuses what is not an RFC 3339 date-time", () => {
  for (
    const text of [
      "",
      "10m",
      "yesterday",
      "2026-11-27",
      "2026-11-27T18:00:00",
      "2026-11-27 18:00:00Z",
      "2026-02-30T00:00:00Z",
      "2023-02-29T00:00:00Z",
      "2026-13-01T00:00:00Z",
      "2026-11-27T24:00:00Z",
      "2026-11-27T18:60:00Z",
      "2026-11-27T18:00:00+24:00",
      "2026-11-27T18:00:00.Z",
      " 2026-11-27T18:00:00Z",
      "1700000000",
    ]
  ) {
    assert.equal(parseRfc3339(text), undefined, text);
  }
});
