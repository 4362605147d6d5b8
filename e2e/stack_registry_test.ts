import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { FleetCommandsClient } from "../operator/mod.ts";
import { waitFor } from "../testing/mod.ts";
import { Stack } from "./stack.ts";

Deno.test("Stack.bringUp() creates the device registry and returns once it lists every device", async () => {
  await using stack = await Stack.bringUp({ devices: 3, keep: false });
  const client = new FleetCommandsClient(stack.operatorClient);
  // No wait: bring-up has made sure of it.
  const devices = await client.devices();
  assert.deepEqual(devices.map((d) => d.id), [...stack.deviceIds].sort());
  for (const device of devices) {
    assert.equal(device.status, "online");
    assert.equal(device.runtime, "disabled");
    assert.deepEqual(device.labels, {});
  }
  const jsm = await jetstreamManager(stack.operatorClient);
  const info = await jsm.streams.info("FLEET_DEVICES");
  assert.equal(info.config.num_replicas, 1);
  assert.equal(info.config.max_msgs_per_subject, 1);
});

Deno.test("Stack.bringUp() gives each agent the labels of deviceLabels", async () => {
  await using stack = await Stack.bringUp({
    devices: 3,
    keep: false,
    deviceLabels: (index) =>
      index === 2 ? undefined : { site: index === 0 ? "berlin" : "paris" },
  });
  const devices = await new FleetCommandsClient(stack.operatorClient)
    .devices();
  assert.deepEqual(
    Object.fromEntries(devices.map((d) => [d.id, d.labels])),
    {
      [stack.deviceIds[0]]: { site: "berlin" },
      [stack.deviceIds[1]]: { site: "paris" },
      [stack.deviceIds[2]]: {},
    },
  );
});

Deno.test("Stack.bringUp() lists a device whose agent was killed as stale after 3 heartbeat intervals", async () => {
  await using stack = await Stack.bringUp({
    devices: 2,
    keep: false,
    heartbeatIntervalS: 0.3,
  });
  const client = new FleetCommandsClient(stack.operatorClient);
  const [gone, alive] = stack.deviceIds;
  await stack.killAgent(gone);
  const statuses = await waitFor(`${gone} stale`, async () => {
    const now = Object.fromEntries(
      (await client.devices()).map((d) => [d.id, d.status]),
    );
    return now[gone] === "stale" ? now : undefined;
  }, { timeoutMs: 20_000, intervalMs: 50 });
  assert.equal(statuses[alive], "online");
});
