import assert from "node:assert/strict";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "../nats/mod.ts";
import { Stack } from "./stack.ts";
import {
  assertPublishDenied,
  assertSubscribeDenied,
  watchErrors,
} from "../testing/mod.ts";

/** Connects to the stack as `deviceId`'s NATS user (with its certificate over TLS). */
function connectAs(stack: Stack, deviceId: string): Promise<NatsConnection> {
  const { user, password } = stack.deviceCredentials(deviceId);
  return connect({
    servers: stack.natsUrl,
    user,
    pass: password,
    tls: stack.deviceTls(deviceId),
  });
}

// Both tests run once over plain TCP and once over mutual TLS.
for (const tls of [false, true]) {
  const over = tls ? " (mutual TLS)" : "";

  Deno.test(`Stack.bringUp() device credentials cannot subscribe to another device's commands${over}`, async () => {
    await using stack = await Stack.bringUp({ devices: 2, tls });
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
        await assertSubscribeDenied(nc, subject);
      }
    } finally {
      await nc.close();
    }
  });

  Deno.test(`Stack.bringUp() device credentials cannot publish on another device's subjects${over}`, async () => {
    await using stack = await Stack.bringUp({ devices: 2, tls });
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
        await assertPublishDenied(watch, subject);
      }
      // Its own heartbeat subject is allowed, and reaches the operator.
      const beats = stack.operatorClient.subscribe(`device-heartbeat.${a}`, {
        max: 1,
      });
      await stack.operatorClient.flush();
      nc.publish(`device-heartbeat.${a}`, "from the test");
      for await (const msg of beats) {
        assert.equal(msg.string(), "from the test");
      }
      assert.equal(watch.errors.length, 0, String(watch.errors));
    } finally {
      await nc.close();
      await watch.done;
    }
  });
}
