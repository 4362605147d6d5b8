// On a real k3d cluster: only with HARMONY_FLEET_E2E=1 and k3d and kubectl
// on PATH (else ignored with a one-line reason). Not run on our machines:
// no Kubernetes API server runs there.
import assert from "node:assert/strict";
import { FleetCommandsClient } from "../operator/mod.ts";
import { Stack } from "./stack.ts";
import { ignoreWithoutK3d } from "./_test_k3d_gate.ts";

const ignore = ignoreWithoutK3d();

Deno.test({
  name:
    'Stack.bringUp({ backend: "k3d" }) pings 2 agents in the fleet-e2e cluster; a killed agent\'s device is offline',
  ignore,
  async fn() {
    await using stack = await Stack.bringUp({ backend: "k3d", devices: 2 });
    const client = new FleetCommandsClient(stack.operatorClient);
    const [a, b] = stack.deviceIds;
    assert.equal((await client.ping(a)).device_id, a);
    assert.equal((await client.ping(b)).device_id, b);
    await stack.killAgent(b);
    await assert.rejects(client.ping(b, { timeoutMs: 2_000 }));
    assert.equal((await client.ping(a)).device_id, a);
  },
});
