import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { DEVICE_REGISTRY_STREAM } from "../contracts/mod.ts";
import { FleetCommandsClient } from "../operator/mod.ts";
import { waitFor, waitForAgentEvent } from "../testing/mod.ts";
import { busiestNode } from "./_cluster_placement.ts";
import { failoverFigures, PingLoad } from "./_ping_load.ts";
import { Stack } from "./stack.ts";

const DEVICES = 6;
/**
 * A generous bound on each device's failed pings: at one ping every 50 ms,
 * 100 failures would be a 5 s outage. An agent on the killed node is
 * offline for up to its reconnect wait (1 s): it tries the dead node again
 * first, and not sooner than 1 s after it last connected to it.
 */
const MAX_FAILED_PER_DEVICE = 100;
/**
 * The acceptance: every agent back within 5 s of a cluster restart
 * (from the moment the nodes are told to stop).
 */
const CLUSTER_RESTART_BACK_MS = 5_000;
const RESTART_ROUNDS = 4;

function okSince(load: PingLoad, deviceId: string, since: number): number {
  return load.outcomes.filter((o) =>
    o.deviceId === deviceId && o.ok && o.sentAt >= since
  ).length;
}

Deno.test("Stack.natsCluster.kill() under a steady ping load: the node's agents reconnect, pings resume, few fail", async () => {
  await using stack = await Stack.bringUp({
    devices: DEVICES,
    natsCluster: 3,
  });
  const ids = stack.deviceIds;
  const client = new FleetCommandsClient(stack.operatorClient);
  await using load = PingLoad.start(client, ids, { intervalMs: 50 });
  await waitFor(
    "every device answering the load",
    () => load.allAnsweredSince(ids, 0),
  );
  const victim = await busiestNode(stack);
  assert.ok(victim.deviceIds.length > 0, "no agent on any node");

  const operatorNode = stack.natsCluster.nodes.find((n) =>
    stack.operatorClient.getServer().endsWith(`:${n.port}`)
  )?.index;
  const killedAt = performance.now();
  const killedAtWall = Date.now();
  await stack.natsCluster.kill(victim.index);
  for (const id of victim.deviceIds) {
    await waitForAgentEvent(stack.agent(id), "nats_reconnected", {
      where: (e) => Date.parse(String(e.ts)) >= killedAtWall - 1_000,
    });
  }
  const reconnectedAt = performance.now();
  // Pings resume, and stay resumed: 10 more answers from every device.
  await waitFor(
    "10 answers from every device after the reconnects",
    () => ids.every((id) => okSince(load, id, reconnectedAt) >= 10),
    { timeoutMs: 15_000 },
  );
  const figures = failoverFigures(await load.stop(), killedAt);
  console.log(
    `[failover] node ${victim.index} killed with ${victim.deviceIds.length} of ${DEVICES} agents (operator on node ${operatorNode}): ${figures.failed} of ${figures.pings} pings failed ${
      JSON.stringify(figures.errors)
    } ${JSON.stringify(figures.failedByDevice)}; every device answered again ${
      Math.round(figures.recoveryMs)
    } ms after the kill`,
  );
  assert.deepEqual(figures.flapping, []);
  for (const [id, failed] of Object.entries(figures.failedByDevice)) {
    assert.ok(failed <= MAX_FAILED_PER_DEVICE, `${id}: ${failed} failed pings`);
  }
  assert.ok(Number.isFinite(figures.recoveryMs));
});

Deno.test("Stack.natsCluster.restart() of the whole cluster: every agent answers again within 5 s, every time", async () => {
  await using stack = await Stack.bringUp({
    devices: DEVICES,
    natsCluster: 3,
  });
  const ids = stack.deviceIds;
  const client = new FleetCommandsClient(stack.operatorClient);
  await using load = PingLoad.start(client, ids, {
    intervalMs: 20,
    timeoutMs: 500,
  });
  await waitFor(
    "every device answering the load",
    () => load.allAnsweredSince(ids, 0),
  );
  // Several rounds: a client that dials a node while it shuts down gets
  // its INFO, then the close, and waits its whole connect timeout.
  for (let round = 1; round <= RESTART_ROUNDS; round++) {
    const stoppingAt = performance.now();
    await stack.natsCluster.restart();
    const upAt = performance.now();
    // The deadline counts from the stop: the restart is part of it.
    await waitFor(
      `every agent answering a ping sent after restart ${round} of the cluster`,
      () => load.allAnsweredSince(ids, upAt),
      {
        timeoutMs: CLUSTER_RESTART_BACK_MS - (performance.now() - stoppingAt),
      },
    );
    const backAt = performance.now();
    console.log(
      `[failover] whole-cluster restart ${round} took ${
        Math.round(upAt - stoppingAt)
      } ms; every agent answered ${Math.round(backAt - upAt)} ms after it (${
        Math.round(backAt - stoppingAt)
      } ms after the stop)`,
    );
  }
});

Deno.test("Stack.bringUp() with natsCluster: 3 keeps the device registry (3 replicas) through the loss of its leader", async () => {
  await using stack = await Stack.bringUp({
    devices: 3,
    natsCluster: 3,
    heartbeatIntervalS: 1,
  });
  const ids = stack.deviceIds;
  const client = new FleetCommandsClient(stack.operatorClient);
  const jsm = await jetstreamManager(stack.operatorClient);
  const info = await jsm.streams.info(DEVICE_REGISTRY_STREAM);
  assert.equal(info.config.num_replicas, 3);
  const leader = stack.natsCluster.nodes.find((n) =>
    n.name === info.cluster?.leader
  );
  assert.ok(leader, `no node named ${info.cluster?.leader}`);
  assert.deepEqual((await client.devices()).map((d) => d.id).sort(), ids);

  const killedAt = Date.now();
  await stack.natsCluster.kill(leader.index);
  // Another node leads, every device is still listed, and heartbeats sent
  // after the loss are stored.
  const listed = await waitFor(
    "every device's heartbeat after the kill in the registry",
    async () => {
      try {
        const devices = await client.devices();
        return devices.length === ids.length &&
          devices.every((d) => d.lastSeen.getTime() > killedAt) && devices;
      } catch {
        return false;
      }
    },
    { timeoutMs: 20_000, intervalMs: 100 },
  );
  assert.deepEqual(listed.map((d) => d.id).sort(), ids);
  const after = await jsm.streams.info(DEVICE_REGISTRY_STREAM);
  assert.notEqual(after.cluster?.leader, leader.name);
  assert.equal(after.config.num_replicas, 3);
});
