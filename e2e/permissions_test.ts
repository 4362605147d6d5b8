import assert from "node:assert/strict";
import {
  type NatsConnection,
  PermissionViolationError,
} from "@nats-io/nats-core";
import { connect } from "../nats/mod.ts";
import { Stack } from "./stack.ts";

/** Connects to the stack as `deviceId`'s NATS user. */
function connectAs(stack: Stack, deviceId: string): Promise<NatsConnection> {
  const { user, password } = stack.deviceCredentials(deviceId);
  return connect({ servers: stack.natsUrl, user, pass: password });
}

/** Collects the connection's async errors; `next()` waits up to 2 s for one. */
function watchErrors(nc: NatsConnection) {
  const errors: Error[] = [];
  let wake = () => {};
  const done = (async () => {
    for await (const event of nc.status()) {
      if (event.type === "error") {
        errors.push(event.error);
        wake();
      }
    }
  })();
  return {
    errors,
    done,
    async next(): Promise<Error | undefined> {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (errors.length > 0) resolve();
        timer = setTimeout(resolve, 2000);
      });
      clearTimeout(timer);
      return errors.shift();
    },
  };
}

Deno.test("Stack.bringUp() device credentials cannot subscribe to another device's commands", async () => {
  await using stack = await Stack.bringUp({ devices: 2 });
  const [a, b] = stack.deviceIds;
  const nc = await connectAs(stack, a);
  try {
    for (
      const subject of [
        `device-commands.${b}.>`,
        `device-commands.${b}.ping`,
        "device-commands.*.ping",
        "device-commands.>",
        `device-heartbeat.${b}`,
      ]
    ) {
      const sub = nc.subscribe(subject);
      // The server's -ERR comes before the flush's PONG.
      const closed = await Promise.race([
        sub.closed,
        nc.flush().then(() => "still subscribed"),
      ]);
      assert.ok(
        closed instanceof PermissionViolationError,
        `${subject}: ${closed}`,
      );
      assert.equal(closed.operation, "subscription");
      assert.equal(closed.subject, subject);
    }
  } finally {
    await nc.close();
  }
});

Deno.test("Stack.bringUp() device credentials cannot publish on another device's subjects", async () => {
  await using stack = await Stack.bringUp({ devices: 2 });
  const [a, b] = stack.deviceIds;
  const nc = await connectAs(stack, a);
  const watch = watchErrors(nc);
  try {
    for (
      const subject of [
        `device-heartbeat.${b}`,
        `device-commands.${b}.ping`,
        `device-commands.${a}.ping`,
      ]
    ) {
      nc.publish(subject, "{}");
      const error = await watch.next();
      assert.ok(
        error instanceof PermissionViolationError,
        `${subject}: ${error}`,
      );
      assert.equal(error.operation, "publish");
      assert.equal(error.subject, subject);
    }
    // Its own heartbeat subject is allowed, and reaches the operator.
    const beats = stack.operatorClient.subscribe(`device-heartbeat.${a}`, {
      max: 1,
    });
    await stack.operatorClient.flush();
    nc.publish(`device-heartbeat.${a}`, "from the test");
    for await (const msg of beats) assert.equal(msg.string(), "from the test");
    assert.equal(watch.errors.length, 0, String(watch.errors));
  } finally {
    await nc.close();
    await watch.done;
  }
});
