// `podman kube play` on the podman-mapped manifests, for real: the JSON
// stream is read, the Secret-as-ConfigMap volumes are mounted, nats-server
// runs from the mapped args with the stack's config (JetStream on the
// emptyDir, as a non-root user on a read-only root) and answers on the
// loopback ports; the agent's config is where the agent reads it, pointing
// there. The images are stand-ins (the busybox workload image; nats-server
// and its libraries mounted from the host), so the agent itself does not
// run here: that is the podman backend's test, with the real images.
import assert from "node:assert/strict";
import { connect } from "../../nats/mod.ts";
import {
  buildWorkloadImage,
  findNatsServer,
  ignoreWithoutPodman,
  pickFreePort,
  PodmanService,
  waitFor,
} from "../../testing/mod.ts";
import type { IVolume, IVolumeMount } from "kubernetes-models/v1";
import { adaptForPodman } from "./podman.ts";
import { AGENT_CONFIG_PATH, NATS_STORE_DIR } from "./names.ts";
import { toYaml } from "./yaml.ts";
import type { Deployment } from "./k8s_types.ts";
import { ADMIN, sampleManifests } from "./_test_stack.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test({
  name:
    "adaptForPodman() output runs under podman kube play and kube down removes it",
  ignore: ignoreWithoutPodman(),
  fn: async () => {
    await using service = await PodmanService.start();
    const { image } = await buildWorkloadImage(service);
    const natsServer = await findNatsServer();
    const podman = adaptForPodman(sampleManifests(), {
      natsPort: pickFreePort(),
      monitorPort: pickFreePort(),
    });
    standInNats(
      podman.natsDeployment,
      image,
      natsServer,
      await libraries(natsServer),
    );
    for (const agent of podman.agentDeployments) standInAgent(agent, image);
    const file = `${service.dir}/stack.yaml`;
    await Deno.writeTextFile(file, toYaml(podman.objects));

    await service.podman(["kube", "play", file]);
    const pods = async () =>
      decode(
        (await service.podman(["pod", "ps", "--format", "{{.Name}}"])).stdout,
      )
        .split("\n").filter(Boolean).sort();
    assert.deepEqual(await pods(), [...podman.pods].sort());

    await waitFor("nats-server's /healthz", async () => {
      const response = await fetch(podman.healthzUrl).catch(() => undefined);
      await response?.body?.cancel();
      return response?.ok;
    }, { timeoutMs: 30_000, intervalMs: 100 });
    const nc = await connect({ servers: podman.natsUrl, ...userPass(ADMIN) });
    try {
      const reply = await nc.request("$JS.API.INFO", "", { timeout: 5_000 });
      assert.equal(
        (reply.json() as { type: string }).type,
        "io.nats.jetstream.api.v1.account_info_response",
      );
    } finally {
      await nc.close();
    }
    const store = await service.podman([
      "exec",
      podman.natsContainer,
      "ls",
      "-ln",
      NATS_STORE_DIR,
    ]);
    assert.match(
      decode(store.stdout),
      /^d\S+\s+\d+\s+65532\s+65532\s.*jetstream$/m,
    );

    for (
      const [deviceId, container] of Object.entries(podman.agentContainers)
    ) {
      const config = await service.podman([
        "exec",
        container,
        "cat",
        AGENT_CONFIG_PATH,
      ]);
      const key = podman.agentDeployments.find((d) =>
        podmanContainer(d) === container
      )!
        .spec!.template.spec!.volumes!.find((v) => v.configMap)!.configMap!
        .items![0].key;
      assert.equal(
        decode(config.stdout),
        podman.configMaps.find((c) => c.data?.[key] !== undefined)!.data![key],
        deviceId,
      );
    }

    await service.podman(["kube", "down", file]);
    assert.deepEqual(await pods(), []);
    const volumes = async () =>
      decode(
        (await service.podman(["volume", "ls", "--format", "{{.Name}}"]))
          .stdout,
      )
        .split("\n").filter(Boolean);
    // kube down leaves the ConfigMaps' volumes behind: the backend removes them.
    assert.deepEqual((await volumes()).sort(), [...podman.volumes].sort());
    await service.podman(["volume", "rm", ...podman.volumes]);
    assert.deepEqual(await volumes(), []);
    const containers = await service.podman([
      "ps",
      "-a",
      "--format",
      "{{.Names}}",
    ]);
    assert.equal(decode(containers.stdout).trim(), "");
  },
});

function userPass(credentials: { user: string; password: string }) {
  return { user: credentials.user, pass: credentials.password };
}

function podmanContainer(deployment: Deployment): string {
  return `${deployment.metadata!.name}-pod-0-${
    deployment.spec!.template.spec!.containers[0].name
  }`;
}

/** The busybox image running the host's nats-server, with its libraries mounted read-only. */
function standInNats(
  deployment: Deployment,
  image: string,
  binary: string,
  libs: string[],
): void {
  const pod = deployment.spec!.template.spec!;
  const [container] = pod.containers;
  const files = [binary, ...libs];
  const volumes: IVolume[] = files.map((path, i) => ({
    name: `host-${i}`,
    hostPath: { path, type: "File" },
  }));
  const mounts: IVolumeMount[] = files.map((path, i) => ({
    name: `host-${i}`,
    mountPath: path,
    readOnly: true,
  }));
  pod.volumes = [...pod.volumes ?? [], ...volumes];
  container.image = image;
  container.command = [binary];
  container.volumeMounts = [...container.volumeMounts ?? [], ...mounts];
}

/** The busybox image doing nothing until stopped, in the agent's place. */
function standInAgent(deployment: Deployment, image: string): void {
  const [container] = deployment.spec!.template.spec!.containers;
  container.image = image;
  container.command = ["sh", "-c", 'trap "exit 0" TERM; sleep 3600 & wait'];
  container.args = [];
}

/** The shared libraries `binary` loads, as absolute paths (from `ldd`). */
async function libraries(binary: string): Promise<string[]> {
  const output = await new Deno.Command("ldd", {
    args: [binary],
    stdout: "piped",
    stderr: "null",
  }).output();
  return [...decode(output.stdout).matchAll(/(\/\S+)\s+\(0x/g)].map((m) =>
    m[1]
  );
}
