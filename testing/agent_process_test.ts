import assert from "node:assert/strict";
import { parse as parseToml } from "smol-toml";
import { renderAgentConfig } from "./agent_process.ts";

const BASE = {
  deviceId: "d1",
  servers: "nats://127.0.0.1:4222",
  credentials: { user: "device-d1", password: "pw" },
};

Deno.test("renderAgentConfig() renders [runtime] socket and container_label, and [exec] enabled and allow_host", () => {
  const config = parseToml(renderAgentConfig({
    ...BASE,
    runtimeEnabled: true,
    runtime: {
      socket: "/tmp/podman dir/podman.sock",
      containerLabel: "harmony.fleet/device=d1",
    },
    exec: { enabled: false, allowHost: true },
  }));
  assert.equal((config.agent as Record<string, unknown>).runtime_enabled, true);
  assert.deepEqual({ ...config.runtime as object }, {
    socket: "/tmp/podman dir/podman.sock",
    container_label: "harmony.fleet/device=d1",
  });
  assert.deepEqual({ ...config.exec as object }, {
    enabled: false,
    allow_host: true,
  });
});

Deno.test("renderAgentConfig() leaves out [runtime] and [exec], and the keys not given", () => {
  const plain = parseToml(renderAgentConfig(BASE));
  assert.equal("runtime" in plain, false);
  assert.equal("exec" in plain, false);
  const some = parseToml(renderAgentConfig({
    ...BASE,
    runtime: { containerLabel: "team" },
    exec: { allowHost: false },
  }));
  assert.deepEqual({ ...some.runtime as object }, { container_label: "team" });
  assert.deepEqual({ ...some.exec as object }, { allow_host: false });
});

Deno.test("renderAgentConfig() writes token_file instead of user and password for token-file credentials", () => {
  const config = parseToml(renderAgentConfig({
    ...BASE,
    credentials: { tokenFile: "/tmp/stack/token-d1" },
  }));
  assert.deepEqual({ ...config.nats as object }, {
    servers: ["nats://127.0.0.1:4222"],
    token_file: "/tmp/stack/token-d1",
  });
});
