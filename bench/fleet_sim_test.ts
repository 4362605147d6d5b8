import assert from "node:assert/strict";
import { connect } from "../nats/mod.ts";
import {
  ensureDeviceRegistry,
  FleetCommandsClient,
  pingFanout,
  RemoteCommandError,
  resolveTargets,
} from "../operator/mod.ts";
import { NatsServerProcess, TEST_ADMIN, waitFor } from "../testing/mod.ts";
import { FleetSim, simDeviceId, spreadIndices } from "./fleet_sim.ts";

const SERVER = { config: { admin: TEST_ADMIN } };

function adminConnection(url: string) {
  return connect({
    servers: url,
    user: TEST_ADMIN.user,
    pass: TEST_ADMIN.password,
  });
}

Deno.test("spreadIndices() picks exactly `count` indices, spread evenly", () => {
  assert.deepEqual([...spreadIndices(10, 2)], [0, 5]);
  assert.equal(spreadIndices(1000, 10).size, 10);
  assert.equal(spreadIndices(7, 7).size, 7);
  assert.equal(spreadIndices(5, 0).size, 0);
  assert.equal(simDeviceId("sim", 42), "sim-00042");
});

Deno.test("FleetSim.start() rejects a bad size or fraction with a RangeError", async () => {
  const nc = undefined as never;
  await assert.rejects(
    () => FleetSim.start(nc, { devices: -1 }),
    { name: "RangeError", message: /fleet size -1/ },
  );
  await assert.rejects(
    () => FleetSim.start(nc, { devices: 1, offline: 1.5 }),
    { name: "RangeError", message: /offline fraction 1\.5/ },
  );
});

Deno.test("pingFanout() over 1,000 simulated devices, 1% offline and 1% slow: every list exact, concurrency bound kept", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  const simConnection = await adminConnection(server.url);
  const operator = await adminConnection(server.url);
  try {
    await using sim = await FleetSim.start(simConnection, {
      devices: 1000,
      offline: 0.01,
      slow: 0.01,
      prefix: "fan",
    });
    assert.equal(sim.offlineIds.length, 10);
    assert.equal(sim.slowIds.length, 10);
    assert.equal(sim.running, 990);

    const client = new FleetCommandsClient(operator);
    const fanout = pingFanout(client, sim.deviceIds, {
      concurrency: 100,
      timeoutMs: 2000,
    });
    const arrived = new Set<string>();
    for await (const outcome of fanout) {
      assert.equal(arrived.has(outcome.deviceId), false);
      arrived.add(outcome.deviceId);
      assert.ok(fanout.inFlight <= 100);
      if (outcome.status === "answered") {
        assert.equal(outcome.value.device_id, outcome.deviceId);
      }
    }
    const summary = fanout.summary!;
    const slow = new Set(sim.slowIds);
    const offline = new Set(sim.offlineIds);
    assert.equal(arrived.size, 1000);
    assert.equal(summary.targeted, 1000);
    assert.deepEqual(summary.offline, sim.offlineIds);
    assert.deepEqual(summary.timedOut, sim.slowIds);
    assert.deepEqual(summary.errored, []);
    assert.deepEqual(
      summary.answered,
      sim.deviceIds.filter((id) => !slow.has(id) && !offline.has(id)),
    );
    assert.equal(fanout.maxInFlight, 100);
  } finally {
    await operator.close();
    await simConnection.close();
  }
});

Deno.test("FleetSim slow devices answer deadline_exceeded through the real CommandServer", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  const simConnection = await adminConnection(server.url);
  const operator = await adminConnection(server.url);
  try {
    await using sim = await FleetSim.start(simConnection, {
      devices: 2,
      slow: 1,
      slowMs: 60_000,
    });
    const client = new FleetCommandsClient(operator);
    // The client waits longer than the deadline it sends: the agent answers first.
    const slowId = sim.slowIds[0];
    const error = await client.ping(slowId, { timeoutMs: 200 }).then(
      () => undefined,
      (e) => e,
    );
    if (error instanceof RemoteCommandError) {
      assert.equal(error.kind, "deadline_exceeded");
    } else {
      assert.equal(error?.name, "CommandTimeoutError");
    }
  } finally {
    await operator.close();
    await simConnection.close();
  }
});

Deno.test("resolveTargets() over the registry of 1,000 simulated devices: --all and -l reach the offline ones too, and the fan-out names them exactly", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  const simConnection = await adminConnection(server.url);
  const operator = await adminConnection(server.url);
  try {
    await ensureDeviceRegistry(operator);
    await using sim = await FleetSim.start(simConnection, {
      devices: 1000,
      offline: 0.01,
      prefix: "reg",
      labels: (i) => ({ site: i % 2 === 0 ? "berlin" : "paris" }),
    });
    await simConnection.flush();
    const client = new FleetCommandsClient(operator, { timeoutMs: 5000 });
    const known = await waitFor("every device in the registry", async () => {
      const devices = await client.devices();
      return devices.length === 1000 && devices;
    });
    const all = resolveTargets({ targets: [], all: true }, known);
    assert.deepEqual(all, sim.deviceIds);
    const { summary } = await pingFanout(client, all).collect();
    assert.deepEqual(summary.offline, sim.offlineIds);
    assert.equal(summary.answered.length, 990);

    const berlin = resolveTargets(
      { targets: ["reg-*"], selectors: ["site=berlin"] },
      known,
    );
    assert.equal(berlin.length, 500);
    const even = await pingFanout(client, berlin).collect();
    assert.deepEqual(
      even.summary.offline,
      sim.offlineIds.filter((id) => Number(id.slice(4)) % 2 === 0),
    );
  } finally {
    await operator.close();
    await simConnection.close();
  }
});
