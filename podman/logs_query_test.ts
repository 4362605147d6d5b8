import assert from "node:assert/strict";
import { logsQuery } from "./logs_query.ts";

Deno.test("logsQuery() asks for both streams and the whole log by default", () => {
  assert.deepEqual(logsQuery({}), {
    stdout: true,
    stderr: true,
    follow: false,
    timestamps: false,
    tail: undefined,
    since: undefined,
    until: undefined,
  });
});

Deno.test("logsQuery() passes tail, times, follow, timestamps and stream choice", () => {
  assert.deepEqual(
    logsQuery({
      tail: 0,
      since: new Date("2026-01-02T03:04:05.678Z"),
      until: "2026-01-02T03:04:06.123456789Z",
      follow: true,
      timestamps: true,
      stderr: false,
    }),
    {
      stdout: true,
      stderr: false,
      follow: true,
      timestamps: true,
      tail: 0,
      since: "2026-01-02T03:04:05.678Z",
      until: "2026-01-02T03:04:06.123456789Z",
    },
  );
});

Deno.test("logsQuery() rejects bad values, naming the option", () => {
  for (
    const [options, error, message] of [
      [
        { tail: -1 },
        RangeError,
        /^Invalid logs option tail -1: expected a whole number ≥ 0$/,
      ],
      [{ tail: 1.5 }, RangeError, /tail 1\.5/],
      [{ tail: NaN }, RangeError, /tail NaN/],
      [
        { since: new Date("nope") },
        RangeError,
        /^Invalid logs option since: an invalid Date$/,
      ],
      [
        { until: "" },
        TypeError,
        /^Invalid logs option until "": expected an RFC 3339 time or a Date$/,
      ],
      [
        { stdout: false, stderr: false },
        TypeError,
        /stdout and stderr are both false: nothing to read$/,
      ],
    ] as const
  ) {
    assert.throws(() => logsQuery(options), (e: unknown) => {
      assert.ok(e instanceof error, String(e));
      assert.match((e as Error).message, message);
      return true;
    });
  }
});
