import assert from "node:assert/strict";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "../nats/mod.ts";
import { FleetCommandsClient } from "../operator/mod.ts";
import { Stack } from "./stack.ts";
import { e2eVariants } from "./_test_backends.ts";
import {
  assertPublishDenied,
  assertSubscribeDenied,
  watchErrors,
} from "../testing/mod.ts";

/**
 * Connects to the stack as `deviceId` does: its NATS user, or its token
 * through the auth callout (with its certificate over TLS).
 */
async function connectAs(
  stack: Stack,
  deviceId: string,
): Promise<NatsConnection> {
  return await connect(await stack.deviceConnectionOptions(deviceId));
}

// Every test runs on the local backend over plain TCP, over mutual TLS and
// with the auth callout; the first two on the podman backend too (see
// _test_backends.ts).
for (const { backend, tls, auth, label, ignore } of e2eVariants()) {
  const test = (name: string, fn: () => Promise<void>) =>
    Deno.test({ name: `${name}${label}`, ignore, fn });

  test(`Stack.bringUp() device credentials cannot subscribe to another device's commands`, async () => {
    await using stack = await Stack.bringUp({ backend, devices: 2, tls, auth });
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

  test(`Stack.bringUp() device credentials cannot publish on another device's subjects`, async () => {
    await using stack = await Stack.bringUp({ backend, devices: 2, tls, auth });
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

  // Host exec (the stream here) needs a shell: the local backend's agents.
  if (backend === "local") {
    test(`Stack.bringUp() device credentials cannot read another device's streams nor send it commands, cancel or keepalive`, async () => {
      await using stack = await Stack.bringUp({
        devices: 2,
        tls,
        auth,
        exec: { allowHost: true },
      });
      const [a, b] = stack.deviceIds;
      // Two connections as A: one tries to listen, one to publish.
      const listener = await connectAs(stack, a);
      const nc = await connectAs(stack, a);
      const watch = watchErrors(nc);
      try {
        // A stream of B's running: the operator execs on B's host.
        const client = new FleetCommandsClient(stack.operatorClient);
        const stream = client.execStream(b, {
          host: true,
          cmd: ["sh", "-c", "echo first; sleep 1; echo second"],
        });
        const chunks: string[] = [];
        for await (const { data } of stream) {
          chunks.push(new TextDecoder().decode(data));
          if (chunks.length > 1) continue;
          // Its replies go to the operator's inbox: A can neither listen
          // there nor write there, nor reach B's verbs.
          for (const subject of ["_INBOX.>", "_INBOX.*", ">"]) {
            await assertSubscribeDenied(listener, subject);
          }
          for (
            const verb of ["exec", "logs", "cancel", "keepalive", "ping"]
          ) {
            await assertPublishDenied(watch, `device-commands.${b}.${verb}`);
          }
          await assertPublishDenied(watch, `_INBOX.${stream.requestId}`);
          // A cancel for B's stream in A's name goes nowhere.
          nc.publish(
            `device-commands.${b}.cancel`,
            JSON.stringify({ verb: "cancel", request_id: stream.requestId }),
          );
          const denied = await watch.next();
          assert.match(String(denied), /Permissions Violation for Publish/i);
        }
        assert.equal(chunks.join(""), "first\nsecond\n");
        assert.deepEqual(stream.end, { reason: "eof", exitCode: 0 });
        assert.equal(watch.errors.length, 0, String(watch.errors));
      } finally {
        await listener.close();
        await nc.close();
        await watch.done;
      }
    });
  }
}
