import assert from "node:assert/strict";
import { parse } from "smol-toml";
import { FleetCommandsClient } from "../operator/mod.ts";
import { processAlive, processesMentioning } from "../testing/mod.ts";
import { Stack, StackBackendError } from "./stack.ts";

Deno.test("Stack.bringUp() with natsCluster: 3 gives the agents and the operator every node's URL", async () => {
  const stack = await Stack.bringUp({ devices: 2, natsCluster: 3 });
  let pids: number[];
  try {
    const cluster = stack.natsCluster;
    assert.equal(cluster.size, 3);
    assert.equal(cluster.name, stack.namespace);
    assert.deepEqual(stack.natsUrls, cluster.urls);
    assert.equal(stack.natsUrl, stack.natsUrls[0]);
    for (const node of cluster.nodes) {
      assert.ok(node.dir.startsWith(`${stack.dir}/`), node.dir);
      const config = await Deno.readTextFile(`${node.dir}/nats-server.conf`);
      // The single server's users: the admin and one per device.
      assert.ok(config.includes(`user: "admin"`), config);
      for (const id of stack.deviceIds) {
        assert.ok(config.includes(`user: "device-${id}"`), config);
      }
    }
    for (const id of stack.deviceIds) {
      const toml = parse(await Deno.readTextFile(stack.agent(id).configPath));
      assert.deepEqual(
        (toml.nats as { servers: string[] }).servers,
        stack.natsUrls,
      );
    }
    const client = new FleetCommandsClient(stack.operatorClient);
    for (const id of stack.deviceIds) {
      assert.equal((await client.ping(id)).device_id, id);
    }
    assert.throws(() => stack.natsServer, StackBackendError);
    assert.match(stack.debugInfo(), /tail nats-server e2e-[0-9a-f]{8}-2: /);
    pids = cluster.nodes.map((n) => cluster.process(n.index)!.pid);
  } finally {
    await stack[Symbol.asyncDispose]();
  }
  assert.ok(!pids.some(processAlive));
  assert.deepEqual(processesMentioning(stack.dir), []);
});

Deno.test("Stack.bringUp() with natsCluster and tls runs every node with mutual TLS", async () => {
  await using stack = await Stack.bringUp({
    devices: 2,
    natsCluster: 3,
    tls: true,
  });
  assert.ok(stack.natsUrls.every((url) => url.startsWith("tls://")));
  const client = new FleetCommandsClient(stack.operatorClient);
  for (const id of stack.deviceIds) {
    assert.equal((await client.ping(id)).device_id, id);
  }
  for (const node of stack.natsCluster.nodes) {
    const config = await Deno.readTextFile(`${node.dir}/nats-server.conf`);
    assert.match(config, /handshake_first: true/);
  }
});

Deno.test("Stack.bringUp() rejects natsCluster out of range or on a container backend before starting anything", async () => {
  for (const natsCluster of [0, 1, 10, 2.5]) {
    await assert.rejects(Stack.bringUp({ natsCluster }), RangeError);
  }
  await assert.rejects(
    Stack.bringUp({ natsCluster: 3, backend: "podman" }),
    (error: unknown) =>
      error instanceof RangeError && /"local"/.test(error.message),
  );
});

Deno.test("Stack.natsCluster throws StackBackendError on a stack with one nats-server", async () => {
  await using stack = await Stack.bringUp({ devices: 0 });
  assert.throws(() => stack.natsCluster, StackBackendError);
  assert.deepEqual(stack.natsUrls, [stack.natsUrl]);
});
