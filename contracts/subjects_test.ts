import assert from "node:assert/strict";
import { InvalidDeviceIdError } from "./device_id.ts";
import {
  deviceCommandSubject,
  deviceCommandSubscription,
  deviceHeartbeatSubject,
  parseDeviceCommandSubject,
} from "./subjects.ts";
import { Verb } from "./verbs/mod.ts";

Deno.test("deviceCommandSubject() builds device-commands.<id>.<verb>", () => {
  assert.equal(
    deviceCommandSubject("vm-device-00", Verb.Ping),
    "device-commands.vm-device-00.ping",
  );
});

Deno.test("deviceCommandSubscription() covers every verb of one device only", () => {
  assert.equal(deviceCommandSubscription("d1"), "device-commands.d1.>");
});

Deno.test("deviceHeartbeatSubject() builds device-heartbeat.<id>", () => {
  assert.equal(deviceHeartbeatSubject("d1"), "device-heartbeat.d1");
});

Deno.test("deviceCommandSubject() refuses wildcards and dots before building anything", () => {
  for (const id of ["*", ">", "a.b", "", "a b"]) {
    assert.throws(
      () => deviceCommandSubject(id, Verb.Ping),
      InvalidDeviceIdError,
    );
    assert.throws(() => deviceCommandSubscription(id), InvalidDeviceIdError);
    assert.throws(() => deviceHeartbeatSubject(id), InvalidDeviceIdError);
  }
});

Deno.test("parseDeviceCommandSubject() splits the device id from the verb", () => {
  assert.deepEqual(parseDeviceCommandSubject("device-commands.d1.ping"), {
    deviceId: "d1",
    verb: "ping",
  });
  assert.deepEqual(parseDeviceCommandSubject("device-commands.d1.logs.tail"), {
    deviceId: "d1",
    verb: "logs.tail",
  });
});

Deno.test("parseDeviceCommandSubject() returns undefined for other subjects", () => {
  for (
    const subject of [
      "device-commands.d1",
      "device-heartbeat.d1.ping",
      "",
      "x.y.z",
    ]
  ) {
    assert.equal(parseDeviceCommandSubject(subject), undefined);
  }
});
