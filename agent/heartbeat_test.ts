import assert from "node:assert/strict";
import type { NatsConnection } from "@nats-io/nats-core";
import { Heartbeat } from "./heartbeat.ts";

// The constructor checks its options before it touches the connection.
const NO_CONNECTION = {} as NatsConnection;

Deno.test("Heartbeat() refuses an interval outside 0.1–86400 s with a RangeError", () => {
  for (
    const intervalS of [0, -1, 0.000001, 0.09, 86401, 2147484, NaN, Infinity]
  ) {
    assert.throws(
      () =>
        new Heartbeat(NO_CONNECTION, {
          deviceId: "d1",
          runtime: "disabled",
          intervalS,
        }),
      (error: unknown) => {
        assert.ok(error instanceof RangeError, String(error));
        assert.equal(
          error.message,
          `Cannot start a heartbeat every ${intervalS} s: the interval must be from 0.1 to 86400 s`,
        );
        return true;
      },
    );
  }
});

Deno.test("Heartbeat() accepts intervals from 0.1 to 86400 s", () => {
  for (const intervalS of [0.1, 0.5, 86400]) {
    new Heartbeat(NO_CONNECTION, {
      deviceId: "d1",
      runtime: "disabled",
      intervalS,
    });
  }
});
