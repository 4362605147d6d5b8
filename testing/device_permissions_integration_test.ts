// The permissions of contracts/permissions.ts, as the rendered config gives
// them to nats-server: a device answers its own requests with a whole
// stream, and reaches nothing else.
import assert from "node:assert/strict";
import type { Msg, NatsConnection } from "@nats-io/nats-core";
import { connect } from "../nats/mod.ts";
import {
  assertPublishDenied,
  assertSubscribeDenied,
  NatsServerProcess,
  TEST_ADMIN,
  waitFor,
  watchErrors,
} from "./mod.ts";

const DEVICES = ["dev-a", "dev-b"];
const OPERATOR = {
  user: "alice",
  password: "alice-pw",
  inboxPrefix: "_INBOX_alice",
};
const STREAM_MESSAGES = 2000;

async function withUsers(
  fn: (
    nc: { a: NatsConnection; operator: NatsConnection; admin: NatsConnection },
  ) => Promise<void>,
): Promise<void> {
  await using nats = await NatsServerProcess.start({
    config: {
      admin: TEST_ADMIN,
      devices: DEVICES.map((deviceId) => ({
        deviceId,
        user: `device-${deviceId}`,
        password: `${deviceId}-pw`,
      })),
      operators: [OPERATOR],
    },
  });
  const a = await connect({
    servers: nats.url,
    user: "device-dev-a",
    pass: "dev-a-pw",
  });
  const operator = await connect({
    servers: nats.url,
    user: OPERATOR.user,
    pass: OPERATOR.password,
    inboxPrefix: OPERATOR.inboxPrefix,
  });
  const admin = await connect({
    servers: nats.url,
    user: TEST_ADMIN.user,
    pass: TEST_ADMIN.password,
  });
  try {
    await fn({ a, operator, admin });
  } finally {
    await Promise.all([a.close(), operator.close(), admin.close()]);
  }
}

/** Sends one request from `from` to dev-a and collects what comes back. */
async function streamFromDevice(
  from: NatsConnection,
  a: NatsConnection,
  inboxPrefix: string,
): Promise<Msg[]> {
  const commands = a.subscribe("device-commands.dev-a.>", {
    callback: (_error, msg) => {
      for (let i = 1; i <= STREAM_MESSAGES; i++) msg.respond(String(i));
    },
  });
  await a.flush();
  const received: Msg[] = [];
  const inbox = from.subscribe(`${inboxPrefix}.stream-test`, {
    callback: (_error, msg) => {
      received.push(msg);
    },
  });
  from.publish("device-commands.dev-a.logs", "{}", {
    reply: inbox.getSubject(),
  });
  await waitFor(
    `${STREAM_MESSAGES} responses`,
    () => received.length >= STREAM_MESSAGES,
  );
  inbox.unsubscribe();
  commands.unsubscribe();
  return received;
}

Deno.test("devicePermissions() let a device send a whole stream to the requester's reply subject", async () => {
  await withUsers(async ({ a, operator, admin }) => {
    const watch = watchErrors(a);
    for (
      const [from, prefix] of [
        [operator, OPERATOR.inboxPrefix],
        [admin, "_INBOX"],
      ] as const
    ) {
      const received = await streamFromDevice(from, a, prefix);
      assert.equal(received.length, STREAM_MESSAGES);
      assert.equal(received.at(-1)?.string(), String(STREAM_MESSAGES));
    }
    await a.flush();
    assert.deepEqual(watch.errors, []);
  });
});

Deno.test("devicePermissions() keep a device out of other inboxes and other devices' subjects", async () => {
  await withUsers(async ({ a }) => {
    const watch = watchErrors(a);
    for (
      const subject of [
        "_INBOX.someone-else",
        "_INBOX_alice.x",
        "device-commands.dev-b.cancel",
        "device-commands.dev-b.keepalive",
        "device-commands.dev-a.cancel",
        "device-heartbeat.dev-b",
      ]
    ) {
      await assertPublishDenied(watch, subject);
    }
    for (
      const subject of [
        "device-commands.dev-b.>",
        "device-commands.>",
        "_INBOX.>",
        "_INBOX_alice.>",
        "device-heartbeat.>",
      ]
    ) {
      await assertSubscribeDenied(a, subject);
    }
  });
});

Deno.test("operatorPermissions() keep an operator to commands, heartbeats and its own inbox", async () => {
  await using nats = await NatsServerProcess.start({
    config: { admin: TEST_ADMIN, operators: [OPERATOR] },
  });
  const operator = await connect({
    servers: nats.url,
    user: OPERATOR.user,
    pass: OPERATOR.password,
    inboxPrefix: OPERATOR.inboxPrefix,
  });
  try {
    const watch = watchErrors(operator);
    operator.publish("device-commands.dev-a.cancel", "{}");
    operator.subscribe("device-heartbeat.>");
    operator.subscribe(`${OPERATOR.inboxPrefix}.>`);
    await operator.flush();
    assert.deepEqual(watch.errors, []);
    await assertPublishDenied(watch, "device-heartbeat.dev-a");
    await assertPublishDenied(watch, "_INBOX.someone");
    await assertSubscribeDenied(operator, "_INBOX.>");
    await assertSubscribeDenied(operator, "device-commands.dev-a.>");
  } finally {
    await operator.close();
  }
});
