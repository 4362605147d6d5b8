import assert from "node:assert/strict";
import { parseAgentConfig } from "../../agent/config.ts";
import {
  findNatsServer,
  generateCalloutKeys,
  tempDir,
} from "../../testing/mod.ts";
import { AGENT_TOKEN_PATH } from "./names.ts";
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

Deno.test("renderStackConfigs() with callout: agents read token_file at AGENT_TOKEN_PATH, nats-server has the callout and no device user, and passes nats-server -t", async () => {
  const tokens = new Map(DEVICES.map((d) => [d.deviceId, `token-${d.user}`]));
  const { natsConfig, agents } = renderStackConfigs({
    namespace: NAMESPACE,
    admin: ADMIN,
    devices: DEVICES,
    callout: { server: { keys: generateCalloutKeys() }, tokens },
  });
  agents.forEach((agent, i) => {
    const config = parseAgentConfig(agent.config);
    assert.equal(config.nats.tokenFile, AGENT_TOKEN_PATH);
    assert.equal(config.nats.password, undefined);
    assert.equal(agent.token, tokens.get(DEVICES[i].deviceId));
    assert.equal(agent.config.includes(DEVICES[i].password), false);
  });
  assert.match(natsConfig, /auth_callout \{/);
  for (const device of DEVICES) {
    assert.equal(natsConfig.includes(device.user), false);
  }
  await using dir = await tempDir();
  const file = `${dir.path}/nats-server.conf`;
  await Deno.writeTextFile(file, natsConfig);
  const output = await new Deno.Command(await findNatsServer(), {
    args: ["-t", "-c", file],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
});

Deno.test("renderStackConfigs() with callout rejects a device without a token", () => {
  assert.throws(
    () =>
      renderStackConfigs({
        namespace: NAMESPACE,
        admin: ADMIN,
        devices: DEVICES,
        callout: {
          server: { keys: generateCalloutKeys() },
          tokens: new Map(),
        },
      }),
    (error) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, /no token for device "/);
      return true;
    },
  );
});
