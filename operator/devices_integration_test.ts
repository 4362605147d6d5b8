import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "../nats/mod.ts";
import { AgentProcess, tempDir, waitFor } from "../testing/mod.ts";
import { PACKAGE_VERSION } from "../contracts/mod.ts";
import { FleetCommandsClient } from "./client.ts";
import { type DeviceRecord, listDevices } from "./devices.ts";
import { ensureDeviceRegistry } from "./registry.ts";
import { RegistryError } from "./registry_errors.ts";
import {
  devicePassword,
  startRegistryServer,
} from "./_test_registry_server.ts";

const BEAT = {
  agent_version: "0.0.9",
  uptime_s: 42,
  runtime: "podman",
  ts: "2026-11-28T12:00:00.000Z",
};

function byId(devices: DeviceRecord[], id: string): DeviceRecord | undefined {
  return devices.find((device) => device.id === id);
}

Deno.test("FleetCommandsClient.devices() lists real agents with labels for an operator with exactly operatorPermissions, and marks a stopped one stale", async () => {
  const ids = ["edge-1", "edge-2"];
  await using server = await startRegistryServer({ devices: ids });
  await ensureDeviceRegistry(server.admin);
  await using dir = await tempDir("devices-test-");
  await using one = await AgentProcess.start({
    deviceId: ids[0],
    servers: server.nats.url,
    credentials: { user: `device-${ids[0]}`, password: devicePassword(ids[0]) },
    dir: dir.path,
    heartbeatIntervalS: 0.5,
    labels: { site: "berlin", role: "edge" },
  });
  await using two = await AgentProcess.start({
    deviceId: ids[1],
    servers: server.nats.url,
    credentials: { user: `device-${ids[1]}`, password: devicePassword(ids[1]) },
    dir: dir.path,
    heartbeatIntervalS: 0.3,
  });
  const client = new FleetCommandsClient(server.operator);
  const devices = await waitFor(
    "both agents in the registry",
    async () => {
      const listed = await client.devices();
      return listed.length === 2 ? listed : undefined;
    },
    { timeoutMs: 30_000 },
  );
  assert.deepEqual(devices.map((d) => d.id), ids, "sorted by id");
  const [a, b] = devices;
  assert.deepEqual(a.labels, { site: "berlin", role: "edge" });
  assert.deepEqual(b.labels, {});
  for (const [device, interval] of [[a, 0.5], [b, 0.3]] as const) {
    assert.equal(device.status, "online");
    assert.equal(device.agentVersion, PACKAGE_VERSION);
    assert.equal(device.runtime, "disabled");
    assert.equal(device.heartbeatIntervalS, interval);
    assert.ok(device.uptimeS >= 0);
    assert.ok(device.lastSeen instanceof Date);
    assert.ok(
      Math.abs(device.lastSeen.getTime() - Date.now()) < 60_000,
      String(device.lastSeen),
    );
  }

  assert.equal((await two.stop("SIGTERM")).code, 0);
  const stale = await waitFor(
    `${ids[1]} stale after 3 × 0.3 s without a heartbeat`,
    async () => {
      const listed = await client.devices();
      return byId(listed, ids[1])?.status === "stale" ? listed : undefined;
    },
    { timeoutMs: 30_000 },
  );
  assert.equal(byId(stale, ids[0])?.status, "online");
  await one.stop("SIGTERM");
});

Deno.test("listDevices() is refused to a device user, even one whose inbox is inside its own subjects", async () => {
  await using server = await startRegistryServer({ devices: ["d1"] });
  await ensureDeviceRegistry(server.admin);
  const device = await server.device("d1");
  await assert.rejects(
    () => listDevices(device, { timeoutMs: 2000 }),
    (error: unknown) => {
      assert.ok(error instanceof RegistryError, String(error));
      assert.equal(error.reason, "forbidden");
      assert.match(error.message, /permission denied/);
      return true;
    },
  );
  // An inbox it may subscribe to: the JetStream API is still refused.
  const sneaky = await connect({
    servers: server.nats.url,
    user: "device-d1",
    pass: devicePassword("d1"),
    inboxPrefix: "device-commands.d1.inbox",
  });
  try {
    await assert.rejects(
      () => listDevices(sneaky, { timeoutMs: 2000 }),
      (error: unknown) => {
        assert.ok(error instanceof RegistryError, String(error));
        assert.equal(error.reason, "forbidden");
        assert.match(
          error.message,
          /Permissions Violation for Publish to "\$JS\.API\.CONSUMER\.CREATE\.FLEET_DEVICES/,
        );
        return true;
      },
    );
  } finally {
    await sneaky.close();
  }
});

Deno.test("listDevices() says to run `fleet registry init` when the stream does not exist", async () => {
  await using server = await startRegistryServer();
  await assert.rejects(
    () => listDevices(server.operator),
    (error: unknown) => {
      assert.ok(error instanceof RegistryError, String(error));
      assert.equal(error.name, "RegistryError");
      assert.equal(error.reason, "not_found");
      assert.equal(error.stream, "FLEET_DEVICES");
      assert.equal(
        error.message,
        'Cannot list the devices of registry stream "FLEET_DEVICES": it does not exist; create it with `fleet registry init`',
      );
      return true;
    },
  );
});

Deno.test("listDevices() says JetStream is off when it is", async () => {
  await using server = await startRegistryServer({
    extraConfig: "jetstream: disabled\n",
  });
  await assert.rejects(
    () => listDevices(server.admin, { timeoutMs: 2000 }),
    (error: unknown) => {
      assert.ok(error instanceof RegistryError, String(error));
      assert.equal(error.reason, "jetstream_disabled");
      return true;
    },
  );
});

Deno.test("listDevices() returns [] for an empty registry, and leaves no consumer behind", async () => {
  await using server = await startRegistryServer();
  await ensureDeviceRegistry(server.admin);
  assert.deepEqual(await listDevices(server.operator), []);
  server.admin.publish(
    "device-heartbeat.d1",
    JSON.stringify({ ...BEAT, device_id: "d1" }),
  );
  await waitFor(
    "d1",
    async () => (await listDevices(server.operator)).length === 1,
  );
  const jsm = await jetstreamManager(server.admin);
  assert.deepEqual(await jsm.consumers.list("FLEET_DEVICES").next(), []);
});

Deno.test("listDevices() takes heartbeats without labels or interval_s (10 s assumed), judges staleness at `now`, and leaves out invalid ones", async () => {
  await using server = await startRegistryServer();
  await ensureDeviceRegistry(server.admin);
  const { admin } = server;
  admin.publish(
    "device-heartbeat.old",
    JSON.stringify({ ...BEAT, device_id: "old" }),
  );
  admin.publish(
    "device-heartbeat.fast",
    JSON.stringify({
      ...BEAT,
      device_id: "fast",
      interval_s: 1,
      labels: { a: "b" },
    }),
  );
  admin.publish("device-heartbeat.bad", "{oops");
  admin.publish(
    "device-heartbeat.liar",
    JSON.stringify({ ...BEAT, device_id: "other" }),
  );
  await admin.flush();
  const invalid: string[] = [];
  const list = (now?: Date) =>
    listDevices(server.operator, {
      now,
      onInvalid: (subject, error) => {
        assert.ok(error instanceof Error);
        invalid.push(subject);
      },
    });
  const devices = await waitFor("2 devices", async () => {
    const listed = await list();
    return listed.length === 2 ? listed : undefined;
  });
  assert.deepEqual(devices.map((d) => d.id), ["fast", "old"]);
  assert.deepEqual(invalid.sort(), [
    "device-heartbeat.bad",
    "device-heartbeat.liar",
  ]);
  const [fast, old] = devices;
  assert.deepEqual(old.labels, {});
  assert.equal(old.heartbeatIntervalS, 10);
  assert.equal(old.agentVersion, "0.0.9");
  assert.equal(old.runtime, "podman");
  assert.equal(old.uptimeS, 42);
  assert.deepEqual(fast.labels, { a: "b" });
  assert.equal(fast.status, "online");
  assert.equal(old.status, "online");

  const seen = old.lastSeen.getTime();
  const at = async (ms: number) =>
    Object.fromEntries(
      (await list(new Date(seen + ms))).map((d) => [d.id, d.status]),
    );
  assert.deepEqual(await at(2_000), { fast: "online", old: "online" });
  assert.deepEqual(await at(3_500), { fast: "stale", old: "online" });
  assert.deepEqual(await at(30_000), { fast: "stale", old: "online" });
  assert.deepEqual(await at(30_500), { fast: "stale", old: "stale" });
});

Deno.test("listDevices() lists 1,000 devices, one record each, with their last heartbeat", async () => {
  await using server = await startRegistryServer();
  await ensureDeviceRegistry(server.admin);
  const count = 1000;
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < count; i++) {
      const id = `sim-${String(i).padStart(4, "0")}`;
      server.admin.publish(
        `device-heartbeat.${id}`,
        JSON.stringify({ ...BEAT, device_id: id, uptime_s: round }),
      );
    }
    await server.admin.flush();
  }
  const devices = await waitFor(
    "1,000 devices at their last heartbeat",
    async () => {
      const listed = await listDevices(server.operator, { timeoutMs: 30_000 });
      return listed.length === count && listed.every((d) => d.uptimeS === 1)
        ? listed
        : undefined;
    },
  );
  assert.equal(new Set(devices.map((d) => d.id)).size, count);
  assert.equal(devices[0].id, "sim-0000");
  assert.equal(devices.at(-1)?.id, "sim-0999");
});
