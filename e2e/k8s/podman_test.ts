import assert from "node:assert/strict";
import { parse as parseToml } from "smol-toml";
import { adaptForPodman } from "./podman.ts";
import { manifestList } from "./manifests.ts";
import { AGENT_CONFIG_PATH, NATS_CONFIG_KEY } from "./names.ts";
import { DEVICES, NAMESPACE, sampleManifests, SECRETS } from "./_test_stack.ts";

const PORTS = { natsPort: 42001, monitorPort: 42002 };

Deno.test("adaptForPodman() gives one ConfigMap per Deployment, then the Deployments, all passing the official schemas", () => {
  const podman = adaptForPodman(sampleManifests(), PORTS);
  const deployments = [
    `${NAMESPACE}-nats`,
    `${NAMESPACE}-agent-vm-device-00-${NAMESPACE}`,
    podman.agentDeployments[1].metadata!.name!,
  ];
  assert.match(deployments[2], new RegExp(`^${NAMESPACE}-agent-dev-b-`));
  assert.deepEqual(podman.objects.map((o) => [o.kind, o.metadata!.name]), [
    ...deployments.map((name) => ["ConfigMap", `${name}-config`]),
    ...deployments.map((name) => ["Deployment", name]),
  ]);
  assert.deepEqual(podman.volumes, deployments.map((name) => `${name}-config`));
  for (const object of podman.objects) {
    object.validate();
    assert.equal(object.metadata!.namespace, undefined);
    assert.equal(object.metadata!.labels!["harmony-fleet/stack"], NAMESPACE);
  }
});

Deno.test("adaptForPodman() gives each Deployment only the configs it mounts", () => {
  const manifests = sampleManifests();
  const podman = adaptForPodman(manifests, PORTS);
  const before = [manifests.natsDeployment, ...manifests.agentDeployments];
  podman.configMaps.forEach((configMap, i) => {
    const keys = before[i].spec!.template.spec!.volumes!
      .flatMap((v) => v.secret?.items?.map((item) => item.key) ?? []);
    assert.deepEqual(Object.keys(configMap.data!), keys);
  });
  assert.deepEqual(Object.keys(podman.configMaps[0].data!), [NATS_CONFIG_KEY]);
  // Each agent's ConfigMap holds its own password and no one else's.
  podman.configMaps.slice(1).forEach((configMap, i) => {
    const text = JSON.stringify(configMap);
    for (const secret of SECRETS) {
      assert.equal(text.includes(secret), secret === DEVICES[i].password);
    }
  });
});

Deno.test("adaptForPodman() drops Namespace and Service, maps Secret volumes to ConfigMap volumes with the same items", () => {
  const manifests = sampleManifests();
  const podman = adaptForPodman(manifests, PORTS);
  const text = JSON.stringify(podman.objects);
  assert.ok(!text.includes('"kind":"Namespace"'));
  assert.ok(!text.includes('"kind":"Service"'));
  assert.ok(!text.includes('"kind":"Secret"'));
  assert.ok(!text.includes('"secret":'));
  const before = [manifests.natsDeployment, ...manifests.agentDeployments];
  [podman.natsDeployment, ...podman.agentDeployments].forEach(
    (deployment, i) => {
      const pod = deployment.spec!.template.spec!;
      const original = before[i].spec!.template.spec!;
      assert.equal(pod.hostNetwork, true);
      const config = pod.volumes!.find((v) => v.name === "config")!;
      const originalConfig = original.volumes!.find((v) =>
        v.name === "config"
      )!;
      assert.equal(config.configMap!.name, podman.configMaps[i].metadata!.name);
      assert.deepEqual(config.configMap!.items, originalConfig.secret!.items);
    },
  );
});

Deno.test("adaptForPodman() keeps the secrets in the ConfigMaps only and leaves the manifests as they were", () => {
  const manifests = sampleManifests();
  const snapshot = JSON.stringify(manifestList(manifests));
  const podman = adaptForPodman(manifests, PORTS);
  assert.equal(JSON.stringify(manifestList(manifests)), snapshot);
  const deployments = [podman.natsDeployment, ...podman.agentDeployments];
  for (const secret of SECRETS) {
    assert.ok(JSON.stringify(podman.configMaps).includes(secret));
    for (const d of deployments) assert.ok(!JSON.stringify(d).includes(secret));
  }
  assert.equal(
    podman.configMaps[0].data![NATS_CONFIG_KEY],
    manifests.secret.stringData![NATS_CONFIG_KEY],
  );
});

Deno.test("adaptForPodman() points the agents at nats-server on the loopback port, which listens there", () => {
  const podman = adaptForPodman(sampleManifests(), PORTS);
  assert.equal(podman.natsUrl, "nats://127.0.0.1:42001");
  assert.equal(podman.healthzUrl, "http://127.0.0.1:42002/healthz");
  const data = Object.assign({}, ...podman.configMaps.map((c) => c.data));
  podman.agentDeployments.forEach((agent, i) => {
    const pod = agent.spec!.template.spec!;
    const key = pod.volumes!.find((v) => v.configMap)!.configMap!.items![0].key;
    const config = parseToml(data[key]) as {
      agent: Record<string, unknown>;
      nats: Record<string, unknown>;
    };
    assert.deepEqual(config.nats.servers, [podman.natsUrl]);
    assert.equal(config.agent.device_id, DEVICES[i].deviceId);
    assert.equal(config.nats.password, DEVICES[i].password);
    assert.equal(config.agent.runtime_enabled, false);
  });
  const container = podman.natsDeployment.spec!.template.spec!.containers[0];
  assert.deepEqual(container.args, [
    "--config",
    "/etc/nats/nats-server.conf",
    "--addr",
    "127.0.0.1",
    "--port",
    "42001",
    "--http_port",
    "42002",
  ]);
  // podman refuses port mappings with host networking.
  assert.equal(container.ports, undefined);
  assert.equal(container.readinessProbe!.httpGet!.port, 42002);
  assert.equal(container.readinessProbe!.httpGet!.path, "/healthz");
  assert.ok(AGENT_CONFIG_PATH.startsWith("/etc/harmony-fleet/"));
});

Deno.test("adaptForPodman() names the pods and containers podman will create", () => {
  const podman = adaptForPodman(sampleManifests(), PORTS);
  const names = [podman.natsDeployment, ...podman.agentDeployments]
    .map((o) => o.metadata!.name);
  assert.deepEqual(podman.pods, names.map((n) => `${n}-pod-0`));
  assert.equal(podman.natsContainer, `${NAMESPACE}-nats-pod-0-nats`);
  assert.deepEqual(
    Object.keys(podman.agentContainers),
    DEVICES.map((d) => d.deviceId),
  );
  assert.deepEqual(
    Object.values(podman.agentContainers),
    podman.pods.slice(1).map((p) => `${p}-agent`),
  );
});

Deno.test("adaptForPodman() rejects bad or equal ports", () => {
  const manifests = sampleManifests();
  for (
    const ports of [
      { natsPort: 0, monitorPort: 1 },
      { natsPort: 1, monitorPort: 65536 },
      { natsPort: 1.5, monitorPort: 2 },
      { natsPort: 7, monitorPort: 7 },
    ]
  ) {
    assert.throws(() => adaptForPodman(manifests, ports), (error: unknown) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, /^Cannot adapt the manifests for podman: /);
      return true;
    });
  }
});
