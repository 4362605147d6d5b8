import assert from "node:assert/strict";
import { parseAgentConfig } from "../../agent/config.ts";
import { findNatsServer, tempDir } from "../../testing/mod.ts";
import { clusterNatsUrl, renderStackConfigs } from "./configs.ts";
import { ADMIN, DEVICES, NAMESPACE } from "./_test_stack.ts";

Deno.test("renderStackConfigs() agent configs parse as the agent reads them: runtime off, NATS at the Service", () => {
  const { agents } = renderStackConfigs({
    namespace: NAMESPACE,
    admin: ADMIN,
    devices: DEVICES,
    heartbeatIntervalS: 2,
  });
  assert.deepEqual(
    agents.map((a) => a.deviceId),
    DEVICES.map((d) => d.deviceId),
  );
  agents.forEach((agent, i) => {
    const config = parseAgentConfig(agent.config);
    assert.equal(config.deviceId, DEVICES[i].deviceId);
    assert.equal(config.runtimeEnabled, false);
    assert.equal(config.heartbeatIntervalS, 2);
    assert.deepEqual(config.nats.servers, [clusterNatsUrl(NAMESPACE)]);
  });
});

Deno.test("renderStackConfigs() nats-server config passes nats-server -t", async () => {
  const { natsConfig } = renderStackConfigs({
    namespace: NAMESPACE,
    admin: ADMIN,
    devices: DEVICES,
  });
  await using dir = await tempDir();
  const file = `${dir.path}/nats-server.conf`;
  await Deno.writeTextFile(file, natsConfig);
  const output = await new Deno.Command(await findNatsServer(), {
    args: ["-t", "-c", file],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stderr) +
    new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 0, text);
});

Deno.test("clusterNatsUrl() rejects a namespace that is not e2e-<8 hex>", () => {
  assert.throws(() => clusterNatsUrl("kube-system"), RangeError);
});
