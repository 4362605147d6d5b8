import assert from "node:assert/strict";
import { encodeJson } from "./codecs.ts";
import {
  decodeHeartbeatMessage,
  DeviceIdMismatchError,
} from "./heartbeat_message.ts";
import { PayloadError } from "./payload_error.ts";
import { parseDeviceHeartbeatSubject } from "./subjects.ts";

const BEAT = {
  device_id: "dev-a",
  agent_version: "0.1.0",
  uptime_s: 7,
  runtime: "disabled",
  ts: "2026-11-27T18:00:00.000Z",
};

Deno.test("decodeHeartbeatMessage() accepts a body whose device_id is the subject's device", () => {
  assert.deepEqual(
    decodeHeartbeatMessage("device-heartbeat.dev-a", encodeJson(BEAT)),
    BEAT,
  );
});

Deno.test("decodeHeartbeatMessage() rejects a body naming another device, naming both", () => {
  assert.throws(
    () =>
      decodeHeartbeatMessage(
        "device-heartbeat.dev-a",
        encodeJson({ ...BEAT, device_id: "dev-b" }),
      ),
    (error: unknown) => {
      assert.ok(error instanceof DeviceIdMismatchError);
      assert.ok(error instanceof PayloadError);
      assert.equal(error.name, "DeviceIdMismatchError");
      assert.equal(error.subject, "device-heartbeat.dev-a");
      assert.equal(error.deviceId, "dev-a");
      assert.equal(error.claimedDeviceId, "dev-b");
      assert.equal(
        error.message,
        'Heartbeat on "device-heartbeat.dev-a" is for device "dev-a", but its body says "device_id": "dev-b"',
      );
      return true;
    },
  );
});

const BAD_SUBJECTS: ReadonlyArray<[string, string, RegExp]> = [
  [
    "another prefix",
    "device-commands.dev-a",
    /not "device-heartbeat\.<device id>"/,
  ],
  [
    "no device token",
    "device-heartbeat",
    /not "device-heartbeat\.<device id>"/,
  ],
  [
    "an extra token",
    "device-heartbeat.dev-a.x",
    /not "device-heartbeat\.<device id>"/,
  ],
  [
    "an empty device token",
    "device-heartbeat.",
    /does not name a valid device id: it is empty/,
  ],
  [
    "a wildcard",
    "device-heartbeat.*",
    /does not name a valid device id: contains "\*"/,
  ],
];
for (const [what, subject, message] of BAD_SUBJECTS) {
  Deno.test(`decodeHeartbeatMessage() rejects a subject with ${what}`, () => {
    assert.throws(
      () => decodeHeartbeatMessage(subject, encodeJson(BEAT)),
      (error: unknown) => {
        assert.ok(error instanceof PayloadError);
        assert.ok(!(error instanceof DeviceIdMismatchError));
        assert.equal(error.name, "PayloadError");
        assert.ok(
          error.message.includes(JSON.stringify(subject)),
          error.message,
        );
        assert.match(error.message, message);
        return true;
      },
    );
  });
}

Deno.test("decodeHeartbeatMessage() rejects a malformed body, naming the subject and the field", () => {
  assert.throws(
    () =>
      decodeHeartbeatMessage(
        "device-heartbeat.dev-a",
        encodeJson({ ...BEAT, uptime_s: -1 }),
      ),
    (error: unknown) => {
      assert.ok(error instanceof PayloadError);
      assert.match(
        error.message,
        /^Heartbeat on "device-heartbeat\.dev-a": heartbeat field "uptime_s" must be a non-negative integer, got -1$/,
      );
      assert.ok(error.cause instanceof PayloadError);
      return true;
    },
  );
});

Deno.test("parseDeviceHeartbeatSubject() returns the device id of device-heartbeat.<id> only", () => {
  assert.equal(parseDeviceHeartbeatSubject("device-heartbeat.d1"), "d1");
  for (
    const subject of [
      "device-heartbeat",
      "device-heartbeat.",
      "device-heartbeat.d1.x",
      "device-heartbeat.>",
      "device-commands.d1",
      "",
    ]
  ) {
    assert.equal(parseDeviceHeartbeatSubject(subject), undefined, subject);
  }
});

Deno.test("decodeHeartbeatMessage() accepts a heartbeat without labels or interval_s (older agents)", () => {
  const beat = decodeHeartbeatMessage(
    "device-heartbeat.dev-a",
    encodeJson(BEAT),
  );
  assert.equal(beat.labels, undefined);
  assert.equal(beat.interval_s, undefined);
});

Deno.test("decodeHeartbeatMessage() returns labels and interval_s when sent", () => {
  const beat = decodeHeartbeatMessage(
    "device-heartbeat.dev-a",
    encodeJson({
      ...BEAT,
      labels: { site: "berlin", role: "edge" },
      interval_s: 2.5,
    }),
  );
  assert.deepEqual(beat.labels, { site: "berlin", role: "edge" });
  assert.equal(beat.interval_s, 2.5);
});

Deno.test("decodeHeartbeatMessage() rejects malformed labels and interval_s", () => {
  for (
    const extra of [
      { labels: ["site"] },
      { labels: { site: 1 } },
      { labels: { "bad key": "x" } },
      { interval_s: 0 },
      { interval_s: "10" },
      { interval_s: -1 },
    ]
  ) {
    assert.throws(
      () =>
        decodeHeartbeatMessage(
          "device-heartbeat.dev-a",
          encodeJson({ ...BEAT, ...extra }),
        ),
      (error: unknown) => {
        assert.ok(error instanceof PayloadError);
        assert.match(
          error.message,
          /^Heartbeat on "device-heartbeat.dev-a": heartbeat field "(labels|interval_s)"/,
        );
        return true;
      },
      JSON.stringify(extra),
    );
  }
});
