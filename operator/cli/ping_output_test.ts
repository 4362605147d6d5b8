import assert from "node:assert/strict";
import { PayloadError, type PingReply } from "../../contracts/mod.ts";
import {
  formatRtt,
  formatUptime,
  pingResultsJson,
  renderFanoutSummary,
  renderPingFailures,
  renderPingTable,
} from "./ping_output.ts";
import type { PingResult } from "./ping_results.ts";
import {
  BadReplyError,
  CommandTimeoutError,
  DeviceOfflineError,
  NatsTransportError,
  RemoteCommandError,
} from "../errors.ts";

const requestId = "00000000-0000-4000-8000-000000000000";

function reply(deviceId: string, uptime: number): PingReply {
  return {
    device_id: deviceId,
    agent_version: "0.1.0",
    uptime_s: uptime,
    runtime: "disabled",
  };
}

const RESULTS: PingResult[] = [
  {
    deviceId: "vm-device-00",
    status: "ok",
    rttMs: 0.44,
    reply: reply("vm-device-00", 192),
  },
  {
    deviceId: "d-17",
    status: "offline",
    error: new DeviceOfflineError({
      deviceId: "d-17",
      verb: "ping",
      requestId,
    }),
  },
  {
    deviceId: "slow",
    status: "timeout",
    error: new CommandTimeoutError({
      deviceId: "slow",
      verb: "ping",
      requestId,
      timeoutMs: 500,
    }),
  },
  {
    deviceId: "refuser",
    status: "remote_error",
    error: new RemoteCommandError({
      deviceId: "refuser",
      verb: "ping",
      requestId,
      kind: "forbidden",
      code: 403,
      remoteMessage: "not today",
    }),
  },
  {
    deviceId: "garbage",
    status: "bad_reply",
    error: new BadReplyError({
      deviceId: "garbage",
      verb: "ping",
      requestId,
      cause: new PayloadError("ping reply is not valid JSON"),
    }),
  },
  {
    deviceId: "cut",
    status: "transport_error",
    error: new NatsTransportError({
      deviceId: "cut",
      verb: "ping",
      requestId,
      cause: new Error("connection closed"),
    }),
  },
];

Deno.test("formatUptime() writes seconds as days, hours, minutes and seconds", () => {
  assert.equal(formatUptime(0), "0s");
  assert.equal(formatUptime(42), "42s");
  assert.equal(formatUptime(192), "3m12s");
  assert.equal(formatUptime(3600), "1h0m0s");
  assert.equal(formatUptime(7509), "2h5m9s");
  assert.equal(formatUptime(3 * 86_400 + 4 * 3600 + 9), "3d4h0m9s");
});

Deno.test("formatRtt() writes milliseconds with one decimal", () => {
  assert.equal(formatRtt(0.44), "0.4ms");
  assert.equal(formatRtt(12.35), "12.3ms");
  assert.equal(formatRtt(1000), "1000.0ms");
});

Deno.test("renderPingTable() aligns one row per device with '-' for devices that did not answer", () => {
  assert.equal(
    renderPingTable(RESULTS.slice(0, 3)),
    [
      "DEVICE        STATUS   RTT    VERSION  UPTIME  RUNTIME",
      "vm-device-00  ok       0.4ms  0.1.0    3m12s   disabled",
      "d-17          offline  -      -        -       -",
      "slow          timeout  -      -        -       -",
      "",
    ].join("\n"),
  );
});

Deno.test("renderPingFailures() says why each device did not answer", () => {
  assert.equal(
    renderPingFailures(RESULTS),
    [
      "d-17: offline (no responders)",
      "slow: timed out after 500 ms",
      "refuser: error reply forbidden (403): not today",
      "garbage: bad reply: ping reply is not valid JSON",
      'cut: connection error: Cannot ping device "cut": connection closed',
      "",
    ].join("\n"),
  );
  assert.equal(renderPingFailures(RESULTS.slice(0, 1)), "");
});

Deno.test("pingResultsJson() gives device_id, ok, rtt_ms and the reply or the error", () => {
  const json = pingResultsJson(RESULTS);
  assert.deepEqual(json[0], {
    device_id: "vm-device-00",
    ok: true,
    rtt_ms: 0.44,
    reply: reply("vm-device-00", 192),
  });
  assert.deepEqual(json[1], {
    device_id: "d-17",
    ok: false,
    rtt_ms: null,
    error: {
      type: "offline",
      message:
        'Cannot ping device "d-17": no responders (no agent connected for it)',
    },
  });
  assert.deepEqual(json[3].error, {
    type: "remote_error",
    message:
      'Cannot ping device "refuser": the agent answered forbidden (403): not today',
    kind: "forbidden",
    code: 403,
  });
  assert.deepEqual(json.map((r) => r.error?.type), [
    undefined,
    "offline",
    "timeout",
    "remote_error",
    "bad_reply",
    "transport_error",
  ]);
});

Deno.test("renderFanoutSummary() says how many answered and names every other device by outcome", () => {
  assert.equal(
    renderFanoutSummary({
      targeted: 5,
      answered: ["a", "b"],
      offline: ["c", "d"],
      timedOut: ["e"],
      errored: [],
    }),
    "2 of 5 answered; offline: c, d; timed out: e\n",
  );
  assert.equal(
    renderFanoutSummary({
      targeted: 2,
      answered: ["a"],
      offline: [],
      timedOut: [],
      errored: ["b"],
    }),
    "1 of 2 answered; errored: b\n",
  );
  assert.equal(
    renderFanoutSummary({
      targeted: 1,
      answered: ["a"],
      offline: [],
      timedOut: [],
      errored: [],
    }),
    "1 of 1 answered\n",
  );
});
