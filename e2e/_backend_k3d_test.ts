// The k3d backend against stand-ins (no Kubernetes API server or k3d runs
// here): a fake Kubernetes API that records what is sent, fake k3d and
// kubectl scripts that record their argv, and a real nats-server behind the
// fake port-forward, with this test answering ping for the agents.
import assert from "node:assert/strict";
import { connect, type NatsConnection } from "../nats/mod.ts";
import { NatsServerProcess } from "../testing/nats_server_process.ts";
import { bringUpK3d, type K3dSeams } from "./_backend_k3d.ts";
import { KubeNotReadyError, KubeRequestError } from "./_kube_apply.ts";
import { StackBringUpError, type StackParts } from "./_stack_parts.ts";
import type { StackOptions } from "./_stack_options.ts";
import {
  FakeKubeApi,
  writeFakeK3d,
  writeFakeKubectl,
} from "./_test_fake_kube.ts";

const AGENT = "localhost/harmony-fleet-agent:e2e-0123456789abcdef";
const NATS = "localhost/harmony-fleet-nats:e2e-fedcba9876543210";

/** Everything a stand-in run needs, torn down in reverse. */
async function standIns(
  options: { existingCluster?: boolean; kubectlFails?: boolean } = {},
) {
  const stack = new AsyncDisposableStack();
  const dir = await Deno.makeTempDir({ prefix: "fleet-k3d-test-" });
  stack.defer(() => Deno.remove(dir, { recursive: true }));
  const api = stack.use(FakeKubeApi.start());
  const nats = stack.use(await NatsServerProcess.start());
  const responder = await connect({ servers: nats.url });
  stack.defer(() => responder.close());
  answerPings(responder);
  const k3d = await writeFakeK3d(dir, { existing: options.existingCluster });
  const kubectl = await writeFakeKubectl(dir, {
    port: nats.port,
    fail: options.kubectlFails,
  });
  const exported: string[][] = [];
  const seams: K3dSeams = {
    k3dBin: k3d.bin,
    kubectlBin: kubectl.bin,
    kubeconfig: await api.writeKubeconfig(dir),
    provideImages: () => Promise.resolve({ agent: AGENT, nats: NATS }),
    exportImages: async (refs, path) => {
      exported.push(refs);
      await Deno.writeTextFile(path, "stand-in archive");
    },
  };
  return {
    api,
    k3d,
    kubectl,
    exported,
    seams,
    dir,
    [Symbol.asyncDispose]: () => stack.disposeAsync(),
  };
}

/** Answers every ping as the agent of its device would. */
function answerPings(nc: NatsConnection): void {
  nc.subscribe("device-commands.*.ping", {
    callback: (_error, msg) => {
      const deviceId = msg.subject.split(".")[1];
      msg.respond(
        JSON.stringify({
          device_id: deviceId,
          agent_version: "stand-in",
          uptime_s: 0,
          runtime: "disabled",
        }),
      );
    },
  });
}

async function bringUp(
  seams: K3dSeams,
  options: StackOptions = {},
): Promise<StackParts & AsyncDisposable> {
  const parts = await bringUpK3d(
    "e2e-0badcafe",
    { keep: false, ...options },
    seams,
  );
  return Object.assign(parts, {
    [Symbol.asyncDispose]: () => parts.resources.disposeAsync(),
  });
}

const NS = "e2e-0badcafe";

// deno-lint-ignore no-explicit-any
type Json = any;

Deno.test("bringUpK3d() creates the missing fleet-e2e cluster, imports the images, applies the namespace first and every object as rendered", async () => {
  await using s = await standIns();
  {
    await using parts = await bringUp(s.seams, { devices: 2 });
    assert.equal(parts.natsUrl.startsWith("nats://127.0.0.1:"), true);
    const reply = await parts.operatorClient.request(
      `device-commands.vm-device-01-${NS}.ping`,
      "",
    );
    assert.equal(
      reply.json<{ device_id: string }>().device_id,
      `vm-device-01-${NS}`,
    );

    assert.deepEqual(await s.k3d.log(), [
      "cluster list -o json",
      "cluster create fleet-e2e --wait --timeout 180s --kubeconfig-update-default --kubeconfig-switch-context=false",
      `image import --cluster fleet-e2e ${parts.dir}/images.tar`,
    ]);
    assert.deepEqual(s.exported, [[AGENT, NATS]]);
    assert.deepEqual(Object.values(s.api.imageRecord ?? {}).sort(), [
      AGENT,
      NATS,
    ]);

    const applies = s.api.writes.filter((r) =>
      r.path.includes(`/namespaces/${NS}`) ||
      r.path.endsWith(`/namespaces/${NS}`)
    );
    assert.deepEqual(applies.map((r) => `${r.method} ${r.path}`), [
      `PATCH /api/v1/namespaces/${NS}`,
      `PATCH /api/v1/namespaces/${NS}/secrets/fleet-config`,
      `PATCH /apis/apps/v1/namespaces/${NS}/deployments/nats`,
      `PATCH /api/v1/namespaces/${NS}/services/nats`,
      `PATCH /apis/apps/v1/namespaces/${NS}/deployments/agent-vm-device-00-${NS}`,
      `PATCH /apis/apps/v1/namespaces/${NS}/deployments/agent-vm-device-01-${NS}`,
    ]);
    for (const r of applies) {
      assert.equal(r.contentType, "application/apply-patch+yaml");
      assert.deepEqual(r.query, {
        fieldManager: "harmony-fleet-e2e",
        force: "true",
      });
    }
    // The manifests written for kubectl are what was sent, object by object.
    const written = (await Deno.readTextFile(`${parts.dir}/stack.yaml`))
      .split(/^---$/m).map((doc) => doc.trim()).filter((doc) => doc)
      .map((doc) => JSON.parse(doc));
    assert.deepEqual(applies.map((r) => r.body), written);

    const secret = applies[1].body as { stringData: Record<string, string> };
    const natsConfig = secret.stringData["nats-server.conf"];
    const { password } = parts.admin;
    assert.ok(
      natsConfig.includes(password),
      "the Secret holds nats-server's config with the admin password",
    );
    const agentConfigs = Object.entries(secret.stringData)
      .filter(([key]) => key !== "nats-server.conf");
    assert.equal(agentConfigs.length, 2, "and one config per agent");
    assert.ok(
      agentConfigs.every(([, config]) =>
        config.includes(`nats://nats.${NS}.svc:4222`)
      ),
    );

    const pods = applies.slice(2).filter((r) => r.body?.kind === "Deployment")
      .map((r) => (r.body as Json).spec.template.spec.containers[0]);
    assert.deepEqual(pods.map((c) => [c.image, c.imagePullPolicy]), [
      [NATS, "Never"],
      [AGENT, "Never"],
      [AGENT, "Never"],
    ]);
    assert.deepEqual(await s.kubectl.log(), [
      `--kubeconfig ${s.seams.kubeconfig} --context k3d-fleet-e2e --namespace ${NS} port-forward --address 127.0.0.1 svc/nats :4222`,
    ]);
    s.api.requests.length = 0;
  }
  // Teardown: the port-forward stopped, the namespace deleted last, and
  // nothing asked about it afterwards (no waiting for it to be gone).
  assert.deepEqual((await s.kubectl.log()).at(-1), "stopped");
  assert.deepEqual(
    s.api.requests.map((r) =>
      `${r.method} ${r.path} ${JSON.stringify(r.query)}`
    ),
    [`DELETE /api/v1/namespaces/${NS} {"propagationPolicy":"Background"}`],
  );
});

Deno.test("bringUpK3d() on a warm cluster creates nothing and imports nothing: the cluster's record has the images", async () => {
  await using s = await standIns({ existingCluster: true });
  s.api.imageRecord = {
    "localhost_harmony-fleet-agent_e2e-0123456789abcdef": AGENT,
    "localhost_harmony-fleet-nats_e2e-fedcba9876543210": NATS,
  };
  await using _parts = await bringUp(s.seams);
  assert.deepEqual(await s.k3d.log(), ["cluster list -o json"]);
  assert.deepEqual(s.exported, []);
});

Deno.test("bringUpK3d() with images by reference uses the current context, pulls IfNotPresent and runs no k3d", async () => {
  await using s = await standIns();
  const images = {
    agent: "registry.example/fleet/agent:1.2.3",
    nats: "registry.example/nats:2.10",
  };
  await using parts = await bringUp(s.seams, { images });
  assert.deepEqual(await s.k3d.log(), []);
  assert.deepEqual(s.exported, []);
  const containers = s.api.writes.filter((r) => r.body?.kind === "Deployment")
    .map((r) => (r.body as Json).spec.template.spec.containers[0]);
  assert.deepEqual(containers.map((c) => [c.image, c.imagePullPolicy]), [
    [images.nats, "IfNotPresent"],
    [images.agent, "IfNotPresent"],
  ]);
  assert.match((await s.kubectl.log())[0], /--context elsewhere /);
  assert.match(
    parts.debugInfo(),
    /context elsewhere .*images by registry reference/,
  );
});

Deno.test("bringUpK3d() names what is not ready at the deadline and deletes the namespace", async () => {
  await using s = await standIns();
  s.api.available = false;
  await assert.rejects(
    bringUp(s.seams, { readyTimeoutMs: 300 }),
    (error) => {
      assert.ok(error instanceof StackBringUpError);
      assert.equal(error.step, "wait for the Deployments");
      const cause = error.cause;
      assert.ok(cause instanceof KubeNotReadyError);
      assert.equal(cause.namespace, NS);
      assert.equal(cause.notReady.length, 2);
      assert.equal(
        cause.notReady[0],
        `Deployment "nats": 0/1 available; pod "nats-5d9c7-x2k4p": Pending, Ready=False (ContainersNotReady), container nats waiting: ErrImageNeverPull (Container image is not present with pull policy of Never)`,
      );
      assert.match(
        cause.notReady[1],
        new RegExp(
          `^Deployment "agent-vm-device-00-${NS}": 0/1 available; pod `,
        ),
      );
      return true;
    },
  );
  assert.deepEqual(await s.kubectl.log(), [], "no port-forward started");
  assert.equal(
    `${s.api.writes.at(-1)?.method} ${s.api.writes.at(-1)?.path}`,
    `DELETE /api/v1/namespaces/${NS}`,
  );
});

Deno.test("bringUpK3d() names the object the API refused, never its data, and deletes the namespace", async () => {
  await using s = await standIns();
  s.api.refuseKind = "Secret";
  await assert.rejects(bringUp(s.seams), (error) => {
    assert.ok(error instanceof StackBringUpError);
    assert.equal(error.step, "apply the manifests");
    assert.ok(error.cause instanceof KubeRequestError);
    assert.equal(error.cause.status, 422);
    assert.equal(
      error.cause.message,
      `Cannot apply Secret "fleet-config" in "${NS}": HTTP 422: Secret is refused by the stand-in`,
    );
    return true;
  });
  const secret = s.api.writes.find((r) => r.body?.kind === "Secret")!;
  const configs = Object.values(
    (secret.body as Json).stringData as Record<string, string>,
  );
  assert.ok(configs.length > 0);
  assert.equal(s.api.writes.at(-1)?.method, "DELETE");
});

Deno.test("bringUpK3d() fails at the port-forward with kubectl's output and leaves no namespace", async () => {
  await using s = await standIns({ kubectlFails: true });
  await assert.rejects(bringUp(s.seams), (error) => {
    assert.ok(error instanceof StackBringUpError);
    assert.equal(error.step, "port-forward to NATS");
    assert.match(
      error.message,
      /exited with code 1; its output:\nerror: services "nats" not found/,
    );
    return true;
  });
  assert.equal(
    `${s.api.writes.at(-1)?.method} ${s.api.writes.at(-1)?.path}`,
    `DELETE /api/v1/namespaces/${NS}`,
  );
});

Deno.test("bringUpK3d() killAgent() scales the agent's Deployment to 0 and deletes its pods at once", async () => {
  await using s = await standIns();
  await using parts = await bringUp(s.seams);
  const deviceId = `vm-device-00-${NS}`;
  s.api.requests.length = 0;
  await parts.killAgent(deviceId);
  const writes = s.api.writes.map((r) => ({
    what: `${r.method} ${r.path}`,
    query: r.query,
    replicas: (r.body as Json)?.spec?.replicas,
  }));
  assert.deepEqual(writes, [
    {
      what:
        `PATCH /apis/apps/v1/namespaces/${NS}/deployments/agent-${deviceId}`,
      query: { fieldManager: "harmony-fleet-e2e-kill", force: "true" },
      replicas: 0,
    },
    {
      what: `DELETE /api/v1/namespaces/${NS}/pods`,
      query: {
        labelSelector:
          `app.kubernetes.io/managed-by=harmony-fleet-e2e,app.kubernetes.io/part-of=harmony-fleet,harmony-fleet/stack=${NS},app.kubernetes.io/name=agent,app.kubernetes.io/component=agent,app.kubernetes.io/instance=agent-${deviceId}`,
        gracePeriodSeconds: "0",
      },
      replicas: undefined,
    },
  ]);
});

Deno.test("bringUpK3d() debugInfo() gives the kubectl commands; keep leaves the namespace and says how to delete it", async () => {
  await using s = await standIns();
  const deviceId = `vm-device-00-${NS}`;
  let dir: string;
  {
    await using parts = await bringUp(s.seams, { keep: true });
    dir = parts.dir;
    const k =
      `kubectl --kubeconfig ${s.seams.kubeconfig} --context k3d-fleet-e2e -n ${NS}`;
    const text = parts.debugInfo();
    for (
      const line of [
        `[e2e] namespace: ${NS} (kept: FLEET_E2E_KEEP=1)`,
        `[e2e] pods: ${k} get pods`,
        `[e2e] logs nats-server: ${k} logs deploy/nats -f`,
        `[e2e] logs agent: ${k} logs deploy/agent-${deviceId} -f`,
        `[e2e] clean up: kubectl --kubeconfig ${s.seams.kubeconfig} --context k3d-fleet-e2e delete namespace ${NS} --wait=false; rm -rf ${dir}`,
      ]
    ) assert.ok(text.split("\n").includes(line), `${line}\nnot in\n${text}`);
    assert.match(text, new RegExp(`port-forward svc/nats \\d+:4222`));
    s.api.requests.length = 0;
  }
  assert.deepEqual(s.api.writes, [], "kept: nothing deleted");
  assert.equal((await s.kubectl.log()).at(-1), "stopped");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("bringUpK3d() reports the bring-up's error, not a teardown's, when the namespace cannot be deleted either", async () => {
  await using s = await standIns();
  s.api.refuseKind = "Namespace";
  s.api.refuseDelete = true;
  await assert.rejects(bringUp(s.seams), (error) => {
    assert.ok(error instanceof StackBringUpError);
    assert.equal(error.step, "apply the manifests");
    return true;
  });
});
