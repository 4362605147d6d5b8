import assert from "node:assert/strict";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "../nats/mod.ts";
import { NatsCluster, TEST_ADMIN, waitFor } from "./mod.ts";

function connectTo(url: string | string[]): Promise<NatsConnection> {
  return connect({
    servers: url,
    user: TEST_ADMIN.user,
    pass: TEST_ADMIN.password,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 100,
  });
}

/** Whether a request on node `from` reaches a responder on node `to`. */
async function routed(from: string, to: string): Promise<boolean> {
  await using stack = new AsyncDisposableStack();
  const responder = await connectTo(to);
  stack.defer(() => responder.close());
  const requester = await connectTo(from);
  stack.defer(() => requester.close());
  const subject = `cluster-test.${crypto.randomUUID()}`;
  responder.subscribe(subject, {
    callback: (_e, msg) => void msg.respond("pong"),
  });
  await responder.flush();
  return await waitFor(`a reply from ${to} through ${from}`, async () => {
    try {
      const reply = await requester.request(subject, "", { timeout: 500 });
      return reply.string() === "pong";
    } catch {
      return false;
    }
  });
}

Deno.test("NatsCluster.start() runs routed nodes, each with its own name, ports and store", async () => {
  await using cluster = await NatsCluster.start({
    config: { admin: TEST_ADMIN },
  });
  assert.equal(cluster.size, 3);
  assert.equal(new Set(cluster.urls).size, 3);
  assert.equal(new Set(cluster.nodes.map((n) => n.dir)).size, 3);
  for (const node of cluster.nodes) {
    assert.equal(node.name, `${cluster.name}-${node.index}`);
    assert.ok(cluster.running(node.index));
    const config = await Deno.readTextFile(`${node.dir}/nats-server.conf`);
    assert.ok(config.includes(`server_name: "${node.name}"`), config);
    assert.ok(config.includes(`store_dir: "${node.dir}/jetstream"`), config);
  }
  // Interest crosses the routes a moment after a subscription is made.
  assert.ok(await routed(cluster.urls[2], cluster.urls[0]));
});

Deno.test("NatsCluster.kill() crashes one node and start() brings it back on its port and store", async () => {
  await using cluster = await NatsCluster.start({
    config: { admin: TEST_ADMIN },
  });
  const [a, b, c] = cluster.urls;
  const pid = cluster.process(1)!.pid;
  await cluster.kill(1);
  assert.equal(cluster.running(1), false);
  assert.equal(cluster.process(1), undefined);
  await assert.rejects(connectTo(b));
  assert.ok(await routed(a, c));
  await cluster.start(1);
  assert.ok(cluster.running(1));
  assert.notEqual(cluster.process(1)!.pid, pid);
  assert.equal(cluster.process(1)!.url, b);
  assert.ok(await routed(b, a));
  // The first run's log is kept beside the new one.
  const kept = await Deno.readTextFile(
    `${cluster.nodes[1].dir}/nats-server.1.log`,
  );
  assert.match(kept, /Server is ready/);
});

Deno.test("NatsCluster.restart() stops every node, then starts them all again", async () => {
  await using cluster = await NatsCluster.start({
    config: { admin: TEST_ADMIN },
  });
  const pids = cluster.nodes.map((n) => cluster.process(n.index)!.pid);
  await cluster.restart(undefined, { signal: "SIGKILL" });
  for (const node of cluster.nodes) {
    assert.ok(cluster.running(node.index));
    assert.notEqual(cluster.process(node.index)!.pid, pids[node.index]);
  }
  assert.ok(await routed(cluster.urls[2], cluster.urls[0]));
});

Deno.test("NatsCluster rejects a size out of range and an index that is not a node's", async () => {
  for (const size of [0, 1, 10, 2.5]) {
    await assert.rejects(NatsCluster.start({ size }), RangeError);
  }
  await assert.rejects(
    NatsCluster.start({ size: 3, clientPorts: [1, 2] }),
    RangeError,
  );
  await using cluster = await NatsCluster.start({ size: 2 });
  assert.throws(() => cluster.running(2), RangeError);
  await assert.rejects(cluster.kill(-1), RangeError);
});

Deno.test("NatsCluster keeps a stream with 3 replicas through the loss of its leader", async () => {
  await using cluster = await NatsCluster.start({
    config: { admin: TEST_ADMIN },
  });
  await cluster.waitForJetStream();
  const nc = await connectTo(cluster.urls);
  try {
    const jsm = await jetstreamManager(nc);
    await waitFor("JetStream to take a stream", async () => {
      try {
        return await jsm.streams.add({
          name: "R3",
          subjects: ["r3.>"],
          num_replicas: 3,
        });
      } catch {
        return false;
      }
    });
    const js = jetstream(nc);
    await js.publish("r3.a", "before");
    const info = await jsm.streams.info("R3");
    assert.equal(info.config.num_replicas, 3);
    const leader = cluster.nodes.find((n) => n.name === info.cluster?.leader);
    assert.ok(leader, `no node named ${info.cluster?.leader}`);
    await cluster.kill(leader.index);
    // A new leader among the two left, with the message and new ones.
    await waitFor("a stream leader on another node", async () => {
      try {
        const again = await jsm.streams.info("R3");
        return again.cluster?.leader !== undefined &&
          again.cluster.leader !== leader.name;
      } catch {
        return false;
      }
    }, { timeoutMs: 20_000 });
    await js.publish("r3.b", "after");
    const first = await jsm.streams.getMessage("R3", { last_by_subj: "r3.a" });
    assert.equal(first?.string(), "before");
    const after = await jsm.streams.info("R3");
    assert.equal(after.state.messages, 2);
  } finally {
    await nc.close();
  }
});
