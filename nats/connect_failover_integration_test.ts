import assert from "node:assert/strict";
import { errors } from "@nats-io/nats-core";
import { connect } from "./mod.ts";
import { NatsServerProcess, pickFreePort, waitFor } from "../testing/mod.ts";

/** Nothing listens on port 1: a dial there is refused at once. */
const DEAD = "nats://127.0.0.1:1";
const RUNS = 20;

Deno.test("connect() tries every server on the first connect, even with maxReconnectAttempts 0 or 1", async () => {
  await using server = await NatsServerProcess.start();
  for (const maxReconnectAttempts of [0, 1]) {
    for (const noRandomize of [false, true]) {
      for (const servers of [[DEAD, server.url], [server.url, DEAD]]) {
        for (let i = 0; i < RUNS; i++) {
          const what = `${servers.join(",")} noRandomize=${noRandomize} ` +
            `maxReconnectAttempts=${maxReconnectAttempts} run ${i + 1}`;
          const nc = await connect({
            servers,
            reconnect: false,
            maxReconnectAttempts,
            noRandomize,
          }).catch((e: unknown) => assert.fail(`${what}: ${e}`));
          await nc.flush();
          assert.equal(nc.getServer(), server.url.replace("nats://", ""));
          await nc.close();
        }
      }
    }
  }
});

Deno.test("connect() names every server tried when none answers, without credentials", async () => {
  const a = `127.0.0.1:${pickFreePort()}`;
  const b = `127.0.0.1:${pickFreePort()}`;
  const err = await connect({
    servers: [`nats://${a}`, `nats://${b}`],
    maxReconnectAttempts: 0,
  }).then(
    (nc) => nc.close().then(() => assert.fail("connect should fail")),
    (e: unknown) => e,
  );
  assert.ok(err instanceof errors.ConnectionError, String(err));
  assert.ok(err.message.includes(`"nats://${a}"`), err.message);
  assert.ok(err.message.includes(`"nats://${b}"`), err.message);
  assert.match(err.message, /refused/);
});

Deno.test("connect() keeps maxReconnectAttempts for reconnects after the first connect", async () => {
  await using server = await NatsServerProcess.start();
  const nc = await connect({
    servers: [DEAD, server.url],
    maxReconnectAttempts: 0,
    reconnectTimeWait: 10,
  });
  try {
    let closed = false;
    const closing = nc.closed().then(() => closed = true);
    await server.kill();
    // With no reconnect attempt allowed, the connection closes by itself.
    await waitFor("the connection to close", () => closed, {
      timeoutMs: 10_000,
    });
    await closing;
  } finally {
    await nc.close();
  }
});
