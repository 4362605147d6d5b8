import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { deviceRegistryConfig, ensureDeviceRegistry } from "./registry.ts";
import { RegistryError } from "./registry_errors.ts";
import { startRegistryServer } from "./_test_registry_server.ts";

Deno.test("deviceRegistryConfig() keeps the last heartbeat per device, 1 replica by default", () => {
  const config = deviceRegistryConfig();
  assert.equal(config.name, "FLEET_DEVICES");
  assert.deepEqual(config.subjects, ["device-heartbeat.>"]);
  assert.equal(config.max_msgs_per_subject, 1);
  assert.equal(config.num_replicas, 1);
  assert.equal(deviceRegistryConfig({ replicas: 3 }).num_replicas, 3);
});

Deno.test("deviceRegistryConfig() refuses replicas other than 1, 3 or 5 with a RangeError", () => {
  for (const replicas of [0, 2, 4, 6, 1.5, -1]) {
    assert.throws(
      () => deviceRegistryConfig({ replicas }),
      (error: unknown) => {
        assert.ok(error instanceof RangeError);
        assert.equal(
          error.message,
          `Cannot configure the device registry with ${replicas} replicas: expected 1, 3 or 5`,
        );
        return true;
      },
    );
  }
});

Deno.test("ensureDeviceRegistry() creates the stream once, then leaves it unchanged", async () => {
  await using server = await startRegistryServer();
  const first = await ensureDeviceRegistry(server.admin);
  assert.deepEqual(first, {
    stream: "FLEET_DEVICES",
    action: "created",
    replicas: 1,
    devices: 0,
  });
  server.admin.publish("device-heartbeat.d1", "{}");
  server.admin.publish("device-heartbeat.d1", "{}");
  server.admin.publish("device-heartbeat.d2", "{}");
  await server.admin.flush();
  const jsm = await jetstreamManager(server.admin);
  const info = await jsm.streams.info("FLEET_DEVICES");
  assert.equal(info.state.messages, 2, "one message per device");
  const second = await ensureDeviceRegistry(server.admin);
  assert.equal(second.action, "unchanged");
  assert.equal(second.devices, 2);
});

Deno.test("ensureDeviceRegistry() brings a stream with other limits back to the registry's", async () => {
  await using server = await startRegistryServer();
  const jsm = await jetstreamManager(server.admin);
  await jsm.streams.add({
    name: "FLEET_DEVICES",
    subjects: ["device-heartbeat.>"],
    max_msgs_per_subject: 5,
  });
  const result = await ensureDeviceRegistry(server.admin);
  assert.equal(result.action, "updated");
  const info = await jsm.streams.info("FLEET_DEVICES");
  assert.equal(info.config.max_msgs_per_subject, 1);
  assert.equal(info.config.allow_direct, true);
});

Deno.test("ensureDeviceRegistry() says JetStream is off when it is", async () => {
  await using server = await startRegistryServer({
    extraConfig: "jetstream: disabled\n",
  });
  await assert.rejects(
    () => ensureDeviceRegistry(server.admin, { timeoutMs: 2000 }),
    (error: unknown) => {
      assert.ok(error instanceof RegistryError, String(error));
      assert.equal(error.name, "RegistryError");
      assert.equal(error.reason, "jetstream_disabled");
      assert.equal(error.stream, "FLEET_DEVICES");
      assert.match(
        error.message,
        /^Cannot create registry stream "FLEET_DEVICES": JetStream is not enabled/,
      );
      return true;
    },
  );
});

Deno.test("ensureDeviceRegistry() fails naming the server's reason for 3 replicas on one server", async () => {
  await using server = await startRegistryServer();
  await assert.rejects(
    () => ensureDeviceRegistry(server.admin, { replicas: 3 }),
    (error: unknown) => {
      assert.ok(error instanceof RegistryError, String(error));
      assert.equal(error.reason, "failed");
      assert.match(
        error.message,
        /^Cannot create registry stream "FLEET_DEVICES": .*(replicas|cluster)/i,
      );
      return true;
    },
  );
});

Deno.test("ensureDeviceRegistry() is refused to an operator (exactly operatorPermissions)", async () => {
  await using server = await startRegistryServer();
  await assert.rejects(
    () => ensureDeviceRegistry(server.operator, { timeoutMs: 1000 }),
    (error: unknown) => {
      assert.ok(error instanceof RegistryError, String(error));
      assert.equal(error.reason, "forbidden");
      assert.match(
        error.message,
        /^Cannot create registry stream "FLEET_DEVICES": permission denied \(Permissions Violation for Publish to "\$JS\.API\.STREAM\.CREATE\.FLEET_DEVICES"\); creating it needs an administrator$/,
      );
      return true;
    },
  );
  const jsm = await jetstreamManager(server.admin);
  assert.deepEqual(await jsm.streams.names().next(), []);
});
