import assert from "node:assert/strict";
import { PACKAGE_VERSION } from "../contracts/mod.ts";
import {
  CommandTimeoutError,
  DeviceOfflineError,
  FleetCommandsClient,
} from "../operator/mod.ts";
import { Stack } from "./stack.ts";
import { e2eVariants } from "./_test_backends.ts";

// The whole suite runs on the local backend over plain TCP and over mutual
// TLS, and on the podman backend (see _test_backends.ts).
for (const { backend, tls, auth, label, ignore } of e2eVariants()) {
  const test = (name: string, fn: () => Promise<void>) =>
    Deno.test({ name: `${name}${label}`, ignore, fn });

  test(`FleetCommandsClient.ping() gets the agent's reply on a stack`, async () => {
    await using stack = await Stack.bringUp({ backend, tls, auth });
    const [deviceId] = stack.deviceIds;
    const client = new FleetCommandsClient(stack.operatorClient, {
      timeoutMs: 5000,
    });
    const reply = await client.ping(deviceId);
    assert.equal(reply.device_id, deviceId);
    assert.equal(reply.agent_version, PACKAGE_VERSION);
    assert.notEqual(reply.agent_version, "");
    assert.equal(reply.runtime, "disabled");
    assert.ok(Number.isInteger(reply.uptime_s) && reply.uptime_s >= 0);
  });

  test(`FleetCommandsClient.ping() to an offline device fails with DeviceOfflineError well under 1 s`, async () => {
    await using stack = await Stack.bringUp({ backend, tls, auth });
    const client = new FleetCommandsClient(stack.operatorClient, {
      timeoutMs: 5000,
    });
    const offline = `vm-device-99-${stack.namespace}`;
    const started = performance.now();
    await assert.rejects(client.ping(offline), (error) => {
      assert.ok(error instanceof DeviceOfflineError, String(error));
      assert.equal(error.deviceId, offline);
      assert.equal(error.verb, "ping");
      return true;
    });
    const elapsedMs = performance.now() - started;
    assert.ok(elapsedMs < 500, `took ${elapsedMs.toFixed(1)} ms`);
  });

  test(`FleetCommandsClient.ping() reaches several devices at once`, async () => {
    await using stack = await Stack.bringUp({ backend, devices: 3, tls, auth });
    assert.equal(new Set(stack.deviceIds).size, 3);
    const client = new FleetCommandsClient(stack.operatorClient);
    const replies = await Promise.all(
      stack.deviceIds.map((id) => client.ping(id)),
    );
    assert.deepEqual(replies.map((reply) => reply.device_id), stack.deviceIds);
  });

  test(`FleetCommandsClient.ping() to an agent killed mid-test fails with DeviceOfflineError`, async () => {
    await using stack = await Stack.bringUp({ backend, devices: 2, tls, auth });
    const [victim, survivor] = stack.deviceIds;
    const client = new FleetCommandsClient(stack.operatorClient, {
      timeoutMs: 300,
    });
    await client.ping(victim);

    await stack.killAgent(victim);
    if (stack.backend === "local") {
      assert.equal(stack.agent(victim).exitStatus?.signal, "SIGKILL");
    }
    // nats-server drops the dead connection's interest when it sees the socket
    // close; a request that beat that would time out, so wait for the condition.
    const deadline = Date.now() + 5000;
    let error: unknown;
    while (Date.now() < deadline) {
      error = await client.ping(victim).then(() => undefined, (e) => e);
      if (!(error instanceof CommandTimeoutError)) break;
    }
    assert.ok(error instanceof DeviceOfflineError, String(error));
    assert.equal(error.deviceId, victim);
    assert.equal((await client.ping(survivor)).device_id, survivor);
  });
}
