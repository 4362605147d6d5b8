/**
 * The `k3d` backend of `Stack`: the stack's Kubernetes manifests
 * (`e2e/k8s/`, as they are) in a fresh namespace of the shared k3d cluster
 * `fleet-e2e` — found, or created once (`k3d cluster create`) — or, with
 * `images` given by registry reference, of any cluster of the kubeconfig.
 * Images built from local files (`e2e/images.ts`) are imported with `k3d
 * image import` unless the cluster's record (ConfigMap
 * `kube-system/harmony-fleet-e2e-images`) says they are there: their tags
 * are content hashes, so a warm run imports nothing (creation and import
 * under a file lock, so parallel test processes do each once). Every
 * object goes through the Kubernetes API (`@kubernetes/client-node`,
 * server-side apply), the namespace first; readiness has a deadline naming what is not
 * ready; NATS is reached by `kubectl port-forward svc/nats` on a loopback
 * port. Teardown: the operator connection, the port-forward, then the
 * namespace is deleted without waiting for it (it garbage-collects).
 * Private to `e2e/`.
 */
import { connect } from "../nats/mod.ts";
import { findNatsServer } from "../testing/nats_server_binary.ts";
import { PodmanStore } from "../testing/podman_store.ts";
import { type ReadyAgent, waitForAgents } from "./_agent_ready.ts";
import { shellQuote, stackDebugBasics } from "./_debug_info.ts";
import { K3D_CLUSTER, K3dCli, k3dContext } from "./_k3d_cli.ts";
import { KubeClient } from "./_kube_client.ts";
import {
  applyObjects,
  deleteNamespace,
  deploymentLogTail,
  importedImages,
  recordImportedImages,
  scaleToZero,
  waitForDeployments,
} from "./_kube_apply.ts";
import { KubectlPortForward } from "./_port_forward.ts";
import { provideStackImages } from "./_stack_images.ts";
import { FLEET_E2E_KEEP_ENV, type StackOptions } from "./_stack_options.ts";
import {
  stackCredentials,
  type StackParts,
  stepRunner,
} from "./_stack_parts.ts";
import { renderStackConfigs } from "./k8s/configs.ts";
import { manifestList, renderStackManifests } from "./k8s/manifests.ts";
import { NATS_CLIENT_PORT, NATS_NAME } from "./k8s/names.ts";
import { toYaml } from "./k8s/yaml.ts";

/** The two image references a stack runs. */
export interface K3dImages {
  agent: string;
  nats: string;
}

/**
 * What the backend reaches outside this process, replaceable by tests
 * (stand-ins): binaries, kubeconfig, and the local images.
 */
export interface K3dSeams {
  /** @default {"k3d"} */
  k3dBin?: string;
  /** @default {"kubectl"} */
  kubectlBin?: string;
  /** @default {$KUBECONFIG, else ~/.kube/config} */
  kubeconfig?: string;
  /**
   * The kubeconfig context.
   *
   * @default {"k3d-fleet-e2e" for sideloaded images, else the current context}
   */
  context?: string;
  /** Builds or finds the local images. @default {the e2e podman store's} */
  provideImages?: () => Promise<K3dImages>;
  /** Writes `references` into one image archive at `path`. @default {podman save} */
  exportImages?: (references: string[], path: string) => Promise<void>;
}

/** Brings up a stack on the `k3d` backend; see the module doc. */
export async function bringUpK3d(
  namespace: string,
  options: StackOptions,
  seams: K3dSeams = {},
): Promise<StackParts> {
  const keep = options.keep ?? Deno.env.get(FLEET_E2E_KEEP_ENV) === "1";
  const step = stepRunner(namespace, {
    signal: options.signal,
    onFailure: (name) => {
      if (!keep) return;
      console.error(
        `[e2e] ${FLEET_E2E_KEEP_ENV}=1: bring-up of "${namespace}" failed at "${name}"; kept its namespace`,
      );
    },
  });
  if (options.tls) {
    throw new RangeError(
      `Cannot bring up e2e stack "${namespace}" on backend "k3d" with tls: true: TLS runs on the local backend only so far`,
    );
  }
  if (options.runtime === "podman") {
    throw new RangeError(
      `Cannot bring up e2e stack "${namespace}" on backend "k3d" with runtime: "podman": agents in pods run without a container runtime (runtime_enabled = false); use backend "local" for logs and exec`,
    );
  }
  await using resources = new AsyncDisposableStack();
  const byReference = options.images;
  const k3d = new K3dCli(seams.k3dBin);

  let store: PodmanStore | undefined;
  let local: K3dImages | undefined;
  if (byReference === undefined) {
    local = await step("provide the images", async () => {
      if (seams.provideImages) return await seams.provideImages();
      store = await PodmanStore.open({ podman: options.podmanBin });
      const natsServer = options.natsServerBin ?? await findNatsServer();
      const images = await provideStackImages(store, { natsServer });
      return { agent: images.agent.reference, nats: images.nats.reference };
    });
    await step(
      `find or create the k3d cluster "${K3D_CLUSTER}"`,
      () => clusterLock(store, () => k3d.ensureCluster(K3D_CLUSTER)),
    );
  }
  const context = seams.context ??
    (byReference === undefined ? k3dContext(K3D_CLUSTER) : undefined);
  const client = await step(
    "load the kubeconfig",
    () =>
      Promise.resolve(
        KubeClient.load({ kubeconfig: seams.kubeconfig, context }),
      ),
  );
  // Registered first, so closed last: the namespace is deleted through it.
  resources.use(client);
  const images = byReference ?? local!;

  const stackDir = await step(
    "create the temp dir",
    () => Deno.makeTempDir({ prefix: `fleet-${namespace}-` }),
  );
  if (!keep) {
    resources.defer(() => Deno.remove(stackDir, { recursive: true }));
  }
  if (byReference === undefined) {
    await step(
      `import the images into k3d cluster "${K3D_CLUSTER}"`,
      () =>
        clusterLock(store, async () => {
          const known = await importedImages(client);
          const missing = [images.agent, images.nats].filter((ref) =>
            !known.has(ref)
          );
          if (missing.length === 0) return;
          const archive = `${stackDir}/images.tar`;
          const exportImages = seams.exportImages ??
            ((refs: string[], path: string) =>
              podmanSave(store ?? undefined, options.podmanBin, refs, path));
          await exportImages(missing, archive);
          await k3d.importImages(K3D_CLUSTER, [archive]);
          await Deno.remove(archive);
          await recordImportedImages(client, missing);
        }),
    );
  }

  const { admin, devices } = stackCredentials(namespace, options.devices ?? 1);
  const configs = renderStackConfigs({
    namespace,
    admin,
    devices,
    heartbeatIntervalS: options.heartbeatIntervalS,
  });
  const manifests = renderStackManifests({
    namespace,
    agentImage: images.agent,
    natsImage: images.nats,
    imagePullPolicy: byReference === undefined ? "Never" : "IfNotPresent",
    ...configs,
  });
  const objects = manifestList(manifests);
  // It holds every password: readable by its owner only.
  const file = `${stackDir}/stack.yaml`;
  await step(
    "write the manifests",
    () => Deno.writeTextFile(file, toYaml(objects), { mode: 0o600 }),
  );

  if (!keep) {
    resources.defer(async () => {
      // Teardown never throws over the bring-up's own error; a namespace
      // left behind carries the stack's labels and is named here.
      await deleteNamespace(client, namespace).catch((error) =>
        console.error(
          `[e2e] could not delete namespace "${namespace}" (${error.message}); delete it with: kubectl --context ${client.context} delete namespace ${namespace} --wait=false`,
        )
      );
    });
  }
  await step("apply the manifests", () => applyObjects(client, objects));
  const agentDeployments = new Map(
    devices.map((device, index) => {
      const deployment = manifests.agentDeployments[index];
      return [device.deviceId, {
        name: deployment.metadata!.name!,
        labels: deployment.spec!.selector.matchLabels!,
      }];
    }),
  );
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  await step(
    "wait for the Deployments",
    () =>
      waitForDeployments(
        client,
        namespace,
        [NATS_NAME, ...[...agentDeployments.values()].map((d) => d.name)],
        { timeoutMs: readyTimeoutMs, signal: options.signal },
      ),
  );
  const forward = await step(
    "port-forward to NATS",
    () =>
      KubectlPortForward.start({
        kubectl: seams.kubectlBin,
        kubeconfig: seams.kubeconfig,
        context: client.context,
        namespace,
        target: `svc/${NATS_NAME}`,
        remotePort: NATS_CLIENT_PORT,
      }),
  );
  resources.defer(() => forward.close());
  const natsUrl = `nats://127.0.0.1:${forward.localPort}`;
  const operatorClient = await step(
    "connect to NATS as admin",
    () =>
      connect({
        servers: natsUrl,
        user: admin.user,
        pass: admin.password,
        name: `fleet-e2e operator ${namespace}`,
      }),
  );
  resources.defer(() => operatorClient.close());

  await step(
    "wait for the agents to answer ping",
    () =>
      waitForAgents(
        operatorClient,
        devices.map(({ deviceId }) =>
          podAgent(client, namespace, deviceId, agentDeployments.get(deviceId)!)
        ),
        {
          timeoutMs: readyTimeoutMs,
          signal: options.signal,
        },
      ),
  );

  const kubectl = [
    "kubectl",
    ...(seams.kubeconfig ? ["--kubeconfig", shellQuote(seams.kubeconfig)] : []),
    "--context",
    shellQuote(client.context),
    "-n",
    namespace,
  ].join(" ");
  return {
    backend: "k3d",
    namespace,
    dir: stackDir,
    keep,
    natsUrl,
    operatorClient,
    admin,
    devices: new Map(devices.map((device) => [device.deviceId, {
      user: device.user,
      password: device.password,
    }])),
    resources: resources.move(),
    async killAgent(deviceId) {
      const deployment = agentDeployments.get(deviceId)!;
      // Scaled to 0, so it stays down; its pod deleted with no grace.
      await scaleToZero(client, namespace, deployment.name, deployment.labels, {
        timeoutMs: readyTimeoutMs,
      });
    },
    debugInfo() {
      const basics = stackDebugBasics({
        namespace,
        keep,
        dir: stackDir,
        natsUrl,
        admin,
        deviceIds: devices.map((device) => device.deviceId),
      });
      const lines = [
        ...basics.lines,
        `cluster: context ${client.context} (${client.server})${
          byReference === undefined
            ? `, k3d cluster ${K3D_CLUSTER}`
            : ", images by registry reference"
        }`,
        `manifests: ${file} (applied server-side as field manager harmony-fleet-e2e)`,
        `pods: ${kubectl} get pods`,
        `logs nats-server: ${kubectl} logs deploy/${NATS_NAME} -f`,
        ...devices.map((device) =>
          `logs agent: ${kubectl} logs deploy/${
            agentDeployments.get(device.deviceId)!.name
          } -f`
        ),
        `NATS from another shell: ${kubectl} port-forward svc/${NATS_NAME} ${forward.localPort}:${NATS_CLIENT_PORT}  (this process's port-forward ends with it)`,
      ];
      if (keep) {
        lines.push(
          `clean up: ${
            kubectl.replace(` -n ${namespace}`, "")
          } delete namespace ${namespace} --wait=false; rm -rf ${
            shellQuote(stackDir)
          }`,
        );
      }
      return lines.map((line) => `[e2e] ${line}`).join("\n");
    },
    release() {
      // Pods run in the cluster; the port-forward is this process's and
      // was closed with the resources.
    },
  };
}

/** An agent in the pods of Deployment `deployment`, as `waitForAgent` sees it. */
function podAgent(
  client: KubeClient,
  namespace: string,
  deviceId: string,
  deployment: { name: string; labels: Record<string, string> },
): ReadyAgent {
  return {
    deviceId,
    // A Deployment's container is restarted when it exits: the deadline
    // decides, and the message shows its log.
    exitStatus: undefined,
    exited: new Promise(() => {}),
    logPath: `kubectl -n ${namespace} logs deploy/${deployment.name}`,
    logTail: (lines = 20) =>
      deploymentLogTail(client, namespace, deployment.labels, lines)
        .catch((error) => `(no log: ${error.message})`),
  };
}

/**
 * Runs `fn` holding the lock of the shared cluster (a file lock in the
 * toolkit's podman store), so parallel test processes create the cluster
 * once and import an image once. Without a store (images given by a
 * test's stand-in) there is nothing to share.
 */
function clusterLock<T>(
  store: PodmanStore | undefined,
  fn: () => Promise<T>,
): Promise<T> {
  return store ? store.withLock(`k3d-${K3D_CLUSTER}`, fn) : fn();
}

/** `podman save` of `references` into one docker archive at `path`. */
async function podmanSave(
  store: PodmanStore | undefined,
  podmanBin: string | undefined,
  references: string[],
  path: string,
): Promise<void> {
  store ??= await PodmanStore.open({ podman: podmanBin });
  await store.podman([
    "save",
    "--format",
    "docker-archive",
    "--multi-image-archive",
    "--output",
    path,
    ...references,
  ]);
}
