import assert from "node:assert/strict";
import { InvalidDeviceIdError } from "./device_id.ts";
import {
  devicePermissions,
  operatorPermissions,
  STREAM_RESPONSES,
} from "./permissions.ts";

Deno.test("devicePermissions() allows only the device's own subjects and stream-sized responses", () => {
  assert.deepEqual(devicePermissions("d-1"), {
    publish: { allow: ["device-heartbeat.d-1"] },
    subscribe: { allow: ["device-commands.d-1.>"] },
    allow_responses: { max: 1_000_000, expires: "1h", expiresMs: 3_600_000 },
  });
  assert.ok(STREAM_RESPONSES.max > 1, "max 0 or 1 would cut every stream");
  const text = JSON.stringify(devicePermissions("d-1"));
  assert.doesNotMatch(text, /_INBOX|\*|"device-commands\.>"/);
});

Deno.test("devicePermissions() refuses an invalid device id", () => {
  for (const id of ["*", ">", "a.b", ""]) {
    assert.throws(() => devicePermissions(id), InvalidDeviceIdError);
  }
});

Deno.test("operatorPermissions() allows commands to any device, heartbeats, its own inbox and reading the registry", () => {
  assert.deepEqual(operatorPermissions(), {
    publish: {
      allow: [
        "device-commands.>",
        "$JS.API.STREAM.INFO.FLEET_DEVICES",
        "$JS.API.CONSUMER.CREATE.FLEET_DEVICES.>",
        "$JS.API.CONSUMER.DELETE.FLEET_DEVICES.>",
      ],
    },
    subscribe: { allow: ["device-heartbeat.>", "_INBOX.>"] },
  });
  assert.deepEqual(
    operatorPermissions({ inboxPrefix: "_INBOX_alice" }).subscribe.allow,
    ["device-heartbeat.>", "_INBOX_alice.>"],
  );
});

Deno.test("operatorPermissions() refuses an inbox prefix with wildcards", () => {
  for (const inboxPrefix of ["", ">", "_INBOX.*", "a b", "a.", ".a"]) {
    assert.throws(
      () => operatorPermissions({ inboxPrefix }),
      (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.match(error.message, /^Invalid inbox prefix/);
        return true;
      },
    );
  }
});
