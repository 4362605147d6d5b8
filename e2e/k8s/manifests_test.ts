import assert from "node:assert/strict";
import { parse as parseToml } from "smol-toml";
import { Deployment } from "kubernetes-models/apps/v1";
import { manifestList, renderStackManifests } from "./manifests.ts";
import { clusterNatsUrl, renderStackConfigs } from "./configs.ts";
import { generateCalloutKeys } from "../../testing/mod.ts";
import {
  AGENT_CONFIG_PATH,
  AGENT_TOKEN_PATH,
  DEVICE_ID_ANNOTATION,
  isDns1123Label,
  NATS_CONFIG_KEY,
  NATS_CONFIG_PATH,
  NATS_MONITOR_PORT,
  NATS_STORE_DIR,
} from "./names.ts";
import {
  ADMIN,
  AGENT_IMAGE,
  DEVICES,
  NAMESPACE,
  NATS_IMAGE,
  sampleManifests,
  SECRETS,
} from "./_test_stack.ts";

const json = (object: unknown) => JSON.parse(JSON.stringify(object));

Deno.test("renderStackManifests() objects all pass the official schemas", () => {
  const objects = manifestList(sampleManifests());
  assert.deepEqual(objects.map((o) => o.kind), [
    "Namespace",
    "Secret",
    "Deployment",
    "Service",
    "Deployment",
    "Deployment",
  ]);
  for (const object of objects) object.validate();
});

Deno.test("renderStackManifests() objects' validate() rejects an object the schema forbids", () => {
  const deployment = json(sampleManifests().natsDeployment);
  delete deployment.spec.selector;
  deployment.spec.replicas = "one";
  assert.throws(
    () => new Deployment(deployment).validate(),
    (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.match(
        error.message,
        /data\/spec must have required property 'selector'|selector/,
      );
      assert.match(error.message, /replicas/);
      return true;
    },
  );
});

Deno.test("renderStackManifests() names every object, container, volume and port validly", () => {
  const objects = manifestList(sampleManifests());
  for (const object of objects) {
    const name = object.metadata!.name!;
    assert.ok(isDns1123Label(name), `${object.kind} ${name}`);
    if (object.kind !== "Namespace") {
      assert.equal(object.metadata!.namespace, NAMESPACE);
    }
  }
  const deployments = objects.filter((o) =>
    o instanceof Deployment
  ) as Deployment[];
  for (const deployment of deployments) {
    const pod = deployment.spec!.template.spec!;
    for (const container of pod.containers) {
      assert.ok(isDns1123Label(container.name), container.name);
      for (const port of container.ports ?? []) {
        assert.ok(
          isDns1123Label(port.name!) && port.name!.length <= 15,
          port.name,
        );
      }
    }
    for (const volume of pod.volumes ?? []) {
      assert.ok(isDns1123Label(volume.name));
    }
  }
  assert.deepEqual(
    deployments.slice(1).map((d) =>
      d.metadata!.annotations![DEVICE_ID_ANNOTATION]
    ),
    DEVICES.map((d) => d.deviceId),
  );
});

Deno.test("renderStackManifests() labels every object with the manager and the stack, and selectors match their pods", () => {
  const manifests = sampleManifests();
  for (const object of manifestList(manifests)) {
    const labels = object.metadata!.labels!;
    assert.equal(
      labels["app.kubernetes.io/managed-by"],
      "harmony-fleet-e2e",
      object.kind,
    );
    assert.equal(labels["harmony-fleet/stack"], NAMESPACE, object.kind);
  }
  for (
    const deployment of [
      manifests.natsDeployment,
      ...manifests.agentDeployments,
    ]
  ) {
    const selector = deployment.spec!.selector.matchLabels!;
    const podLabels = deployment.spec!.template.metadata!.labels!;
    for (const [key, value] of Object.entries(selector)) {
      assert.equal(podLabels[key], value);
    }
  }
  const natsPod = manifests.natsDeployment.spec!.template.metadata!.labels!;
  for (
    const [key, value] of Object.entries(manifests.natsService.spec!.selector!)
  ) {
    assert.equal(natsPod[key], value);
  }
  for (const agent of manifests.agentDeployments) {
    // An agent's selector never matches another agent's pods, nor NATS.
    const selector = agent.spec!.selector.matchLabels!;
    const matches = [manifests.natsDeployment, ...manifests.agentDeployments]
      .filter((d) =>
        Object.entries(selector).every(([k, v]) =>
          d.spec!.template.metadata!.labels![k] === v
        )
      );
    assert.deepEqual(matches, [agent]);
  }
});

Deno.test("renderStackManifests() pulls localhost/ images Never and registry references IfNotPresent", () => {
  const pullPolicies = (m: ReturnType<typeof sampleManifests>) =>
    [m.natsDeployment, ...m.agentDeployments].map((d) => {
      const c = d.spec!.template.spec!.containers[0];
      return [c.image, c.imagePullPolicy];
    });
  assert.deepEqual(pullPolicies(sampleManifests()), [
    [NATS_IMAGE, "Never"],
    [AGENT_IMAGE, "Never"],
    [AGENT_IMAGE, "Never"],
  ]);
  const agentImage = "registry.example/fleet/agent:0.1.0";
  const natsImage = "registry.example/fleet/nats:2.10.27";
  assert.deepEqual(pullPolicies(sampleManifests({ agentImage, natsImage })), [
    [natsImage, "IfNotPresent"],
    [agentImage, "IfNotPresent"],
    [agentImage, "IfNotPresent"],
  ]);
  const always = renderStackManifests({
    namespace: NAMESPACE,
    agentImage,
    natsImage,
    imagePullPolicy: "Always",
    natsConfig: "",
    agents: [],
  });
  assert.equal(
    always.natsDeployment.spec!.template.spec!.containers[0].imagePullPolicy,
    "Always",
  );
});

Deno.test("renderStackManifests() keeps every secret in the Secret and nowhere else", () => {
  const manifests = sampleManifests();
  const secretText = JSON.stringify(manifests.secret);
  for (const secret of SECRETS) assert.ok(secretText.includes(secret));
  for (const object of manifestList(manifests)) {
    if (object === manifests.secret) continue;
    const text = JSON.stringify(object);
    for (const secret of SECRETS) {
      assert.ok(
        !text.includes(secret),
        `${object.kind} ${object.metadata!.name}`,
      );
    }
  }
});

Deno.test("renderStackManifests() mounts each agent's own config at AGENT_CONFIG_PATH, runtime off, NATS at the Service", () => {
  const manifests = sampleManifests();
  const data = manifests.secret.stringData!;
  manifests.agentDeployments.forEach((deployment, i) => {
    const pod = deployment.spec!.template.spec!;
    const [container] = pod.containers;
    assert.deepEqual(container.args, ["--config", AGENT_CONFIG_PATH]);
    const mount = container.volumeMounts!.find((m) =>
      AGENT_CONFIG_PATH.startsWith(`${m.mountPath}/`)
    )!;
    assert.equal(mount.readOnly, true);
    const volume = pod.volumes!.find((v) => v.name === mount.name)!;
    const [item] = volume.secret!.items!;
    assert.equal(`${mount.mountPath}/${item.path}`, AGENT_CONFIG_PATH);
    const config = parseToml(data[item.key]) as {
      agent: Record<string, unknown>;
      nats: Record<string, unknown>;
    };
    assert.equal(config.agent.device_id, DEVICES[i].deviceId);
    assert.equal(config.agent.runtime_enabled, false);
    assert.deepEqual(config.nats.servers, [clusterNatsUrl(NAMESPACE)]);
    assert.equal(config.nats.user, DEVICES[i].user);
    assert.equal(config.nats.password, DEVICES[i].password);
  });
  assert.equal(clusterNatsUrl(NAMESPACE), `nats://nats.${NAMESPACE}.svc:4222`);
});

Deno.test("renderStackManifests() runs every container non-root on a read-only root with requests and limits", () => {
  const manifests = sampleManifests();
  for (
    const deployment of [
      manifests.natsDeployment,
      ...manifests.agentDeployments,
    ]
  ) {
    const pod = deployment.spec!.template.spec!;
    assert.equal(pod.securityContext!.runAsNonRoot, true);
    assert.ok(pod.securityContext!.runAsUser! > 0);
    assert.equal(pod.automountServiceAccountToken, false);
    for (const container of pod.containers) {
      assert.equal(container.securityContext!.readOnlyRootFilesystem, true);
      assert.equal(container.securityContext!.allowPrivilegeEscalation, false);
      assert.deepEqual(container.securityContext!.capabilities!.drop, ["ALL"]);
      for (const kind of ["requests", "limits"] as const) {
        assert.ok(
          container.resources![kind]!.cpu,
          `${container.name} ${kind} cpu`,
        );
        assert.ok(
          container.resources![kind]!.memory,
          `${container.name} ${kind} memory`,
        );
      }
    }
  }
});

Deno.test("renderStackManifests() NATS: config from the Secret, JetStream on an emptyDir, ready on /healthz of the monitoring port", () => {
  const manifests = sampleManifests();
  const pod = manifests.natsDeployment.spec!.template.spec!;
  const [container] = pod.containers;
  assert.deepEqual(container.args, ["--config", NATS_CONFIG_PATH]);
  const probe = container.readinessProbe!.httpGet!;
  assert.equal(probe.path, "/healthz");
  const monitor = container.ports!.find((p) => p.name === probe.port)!;
  assert.equal(monitor.containerPort, NATS_MONITOR_PORT);
  const config = manifests.secret.stringData![NATS_CONFIG_KEY];
  assert.match(
    config,
    new RegExp(`jetstream \\{\\n  store_dir: "${NATS_STORE_DIR}"`),
  );
  assert.match(config, new RegExp(`^http_port: ${NATS_MONITOR_PORT}$`, "m"));
  const data = container.volumeMounts!.find((m) =>
    m.mountPath === NATS_STORE_DIR
  )!;
  assert.ok(pod.volumes!.find((v) => v.name === data.name)!.emptyDir);
  const servicePorts = manifests.natsService.spec!.ports!.map((
    p,
  ) => [p.name, p.port, p.targetPort]);
  assert.deepEqual(servicePorts, [["client", 4222, "client"], [
    "monitor",
    8222,
    "monitor",
  ]]);
  assert.ok(config.includes(ADMIN.password));
});

Deno.test("renderStackManifests() rejects a namespace that is not e2e-<8 hex>, a repeated device and an empty image", () => {
  const configs = renderStackConfigs({
    namespace: NAMESPACE,
    admin: ADMIN,
    devices: DEVICES,
  });
  const base = {
    namespace: NAMESPACE,
    agentImage: AGENT_IMAGE,
    natsImage: NATS_IMAGE,
    ...configs,
  };
  assert.throws(
    () => renderStackManifests({ ...base, namespace: "default" }),
    RangeError,
  );
  assert.throws(
    () =>
      renderStackManifests({
        ...base,
        agents: [configs.agents[0], configs.agents[0]],
      }),
    (error: unknown) => {
      assert.ok(error instanceof RangeError);
      assert.match(
        error.message,
        new RegExp(`device "${DEVICES[0].deviceId}" appears twice`),
      );
      return true;
    },
  );
  assert.throws(
    () => renderStackManifests({ ...base, agentImage: " " }),
    RangeError,
  );
});

Deno.test("renderStackManifests() mounts an agent's token (auth callout) at AGENT_TOKEN_PATH beside its config, from the Secret", () => {
  const configs = renderStackConfigs({
    namespace: NAMESPACE,
    admin: ADMIN,
    devices: DEVICES,
    callout: {
      server: { keys: generateCalloutKeys() },
      tokens: new Map(DEVICES.map((d) => [d.deviceId, `tok-${d.deviceId}`])),
    },
  });
  const manifests = renderStackManifests({
    namespace: NAMESPACE,
    agentImage: AGENT_IMAGE,
    natsImage: NATS_IMAGE,
    ...configs,
  });
  const data = manifests.secret.stringData!;
  manifests.agentDeployments.forEach((deployment, i) => {
    const pod = deployment.spec!.template.spec!;
    const mount = pod.containers[0].volumeMounts!.find((m) =>
      AGENT_TOKEN_PATH.startsWith(`${m.mountPath}/`)
    )!;
    const volume = pod.volumes!.find((v) => v.name === mount.name)!;
    const item = volume.secret!.items!.find((item) =>
      `${mount.mountPath}/${item.path}` === AGENT_TOKEN_PATH
    )!;
    assert.equal(data[item.key], `tok-${DEVICES[i].deviceId}\n`);
  });
});
