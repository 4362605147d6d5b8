/**
 * The `podman` backend of `Stack`: the stack's Kubernetes manifests
 * (`e2e/k8s/`), mapped for podman in the one place that does it
 * (`adaptForPodman`), run by `podman kube play` in the toolkit's e2e podman
 * store: nats-server and every agent in containers, built from local files
 * (`e2e/images.ts`), NATS on loopback ports of this machine. Teardown:
 * `podman kube down`, then the volumes it leaves and anything else
 * labelled with the stack. Private to `e2e/`.
 */
import { connect } from "../nats/mod.ts";
import { findNatsServer } from "../testing/nats_server_binary.ts";
import { pickFreePort } from "../testing/free_port.ts";
import { findSetsid, isExecutableFile } from "../testing/child_process.ts";
import { PodmanStore } from "../testing/podman_store.ts";
import { waitFor } from "../testing/wait.ts";
import { type ReadyAgent, waitForAgents } from "./_agent_ready.ts";
import { cliCommand, shellQuote, stackDebugBasics } from "./_debug_info.ts";
import { StackCallout } from "./_stack_callout.ts";
import { provideStackImages } from "./_stack_images.ts";
import { FLEET_E2E_KEEP_ENV, type StackOptions } from "./_stack_options.ts";
import {
  stackCredentials,
  type StackParts,
  stepRunner,
} from "./_stack_parts.ts";
import { adaptForPodman, type PodmanManifests } from "./k8s/podman.ts";
import { renderStackConfigs } from "./k8s/configs.ts";
import { renderStackManifests } from "./k8s/manifests.ts";
import { toYaml } from "./k8s/yaml.ts";

/** Brings up a stack on the `podman` backend; see the module doc. */
export async function bringUpPodman(
  namespace: string,
  options: StackOptions,
): Promise<StackParts> {
  const keep = options.keep ?? Deno.env.get(FLEET_E2E_KEEP_ENV) === "1";
  let dir: string | undefined;
  const step = stepRunner(namespace, {
    signal: options.signal,
    onFailure: (name) => {
      if (!keep || !dir) return;
      console.error(
        `[e2e] ${FLEET_E2E_KEEP_ENV}=1: bring-up of "${namespace}" failed at "${name}"; kept its pods and "${dir}"`,
      );
    },
  });
  if (options.tls) {
    throw new RangeError(
      `Cannot bring up e2e stack "${namespace}" on backend "podman" with tls: true: TLS runs on the local backend only so far`,
    );
  }
  if (options.runtime === "podman") {
    throw new RangeError(
      `Cannot bring up e2e stack "${namespace}" on backend "podman" with runtime: "podman": agents in containers run without a container runtime (runtime_enabled = false); use backend "local" for logs and exec`,
    );
  }
  await using resources = new AsyncDisposableStack();

  const store = await step(
    "find podman",
    () => PodmanStore.open({ podman: options.podmanBin }),
  );
  const natsServer = await step("find nats-server", async () => {
    const path = options.natsServerBin ?? await findNatsServer();
    if (!(await isExecutableFile(path))) {
      throw new Error(`nats-server "${path}" is not an executable file`);
    }
    return path;
  });
  const images = await step(
    "provide the images",
    () => provideStackImages(store, { natsServer }),
  );
  const stackDir = dir = await step(
    "create the temp dir",
    () => Deno.makeTempDir({ prefix: `fleet-${namespace}-` }),
  );
  if (!keep) {
    resources.defer(() => Deno.remove(stackDir, { recursive: true }));
  }

  const { admin, devices } = stackCredentials(namespace, options.devices ?? 1);
  // auth: "callout": the mock OIDC issuer and the callout process run on
  // this machine as with the local backend (the callout reaches nats-server
  // on its loopback port, like the operator); each agent's token is
  // mounted beside its config, and the agents' pods are played only once
  // the callout serves (an agent refused at its first login exits 3).
  const callout = options.auth === "callout"
    ? await step(
      "start the mock OIDC issuer",
      () => StackCallout.prepare(stackDir, devices.map((d) => d.deviceId)),
    )
    : undefined;
  if (callout) resources.use(callout);
  const tokens = callout && new Map(
    await Promise.all(devices.map(async (device) =>
      [
        device.deviceId,
        (await Deno.readTextFile(callout.tokenFile(device.deviceId))).trim(),
      ] as const
    )),
  );
  const configs = renderStackConfigs({
    namespace,
    admin,
    devices,
    heartbeatIntervalS: options.heartbeatIntervalS,
    ...(callout && tokens
      ? { callout: { server: callout.serverConfig, tokens } }
      : {}),
  });
  const manifests = renderStackManifests({
    namespace,
    agentImage: images.agent.reference,
    natsImage: images.nats.reference,
    ...configs,
  });
  const natsPort = pickFreePort();
  let monitorPort = pickFreePort();
  while (monitorPort === natsPort) monitorPort = pickFreePort();
  const pod = adaptForPodman(manifests, { natsPort, monitorPort });
  // It holds every password: readable by its owner only.
  const file = `${stackDir}/stack.yaml`;
  // With the callout, the agents' pods (and their ConfigMaps) in a second
  // file, played once the callout serves.
  const natsConfigMap = `${pod.natsDeployment.metadata!.name}-config`;
  const agentsFile = `${stackDir}/agents.yaml`;
  const [first, second] = callout
    ? [
      [
        ...pod.configMaps.filter((c) => c.metadata!.name === natsConfigMap),
        pod.natsDeployment,
      ],
      [
        ...pod.configMaps.filter((c) => c.metadata!.name !== natsConfigMap),
        ...pod.agentDeployments,
      ],
    ]
    : [pod.objects, []];
  await step("write the manifests", async () => {
    await Deno.writeTextFile(file, toYaml(first), { mode: 0o600 });
    if (second.length > 0) {
      await Deno.writeTextFile(agentsFile, toYaml(second), { mode: 0o600 });
    }
  });

  if (!keep) resources.defer(() => removePods(store, pod));
  await step("podman kube play", () => store.podman(["kube", "play", file]));
  await step(
    "wait for nats-server",
    () =>
      waitFor("nats-server's /healthz", async () => {
        const response = await fetch(pod.healthzUrl).catch(() => undefined);
        await response?.body?.cancel();
        return response?.ok === true;
      }, { timeoutMs: options.readyTimeoutMs ?? 20_000, intervalMs: 50 }),
  );
  if (callout) {
    // A kept stack's callout must outlive this process (own session).
    const newSession = keep && findSetsid() !== undefined;
    const process = await step(
      "start the auth callout",
      () => callout.start(pod.natsUrl, { newSession }),
    );
    // Stopped before the pods are removed (resources run in reverse).
    if (!keep) resources.use(process);
    await step(
      "podman kube play (agents)",
      () => store.podman(["kube", "play", agentsFile]),
    );
  }
  const operatorClient = await step(
    "connect to NATS as admin",
    () =>
      connect({
        servers: pod.natsUrl,
        ...(callout
          ? { token: callout.operatorToken }
          : { user: admin.user, pass: admin.password }),
        name: `fleet-e2e operator ${namespace}`,
      }),
  );
  resources.defer(() => operatorClient.close());

  const agents = devices.map((device) =>
    containerAgent(store, device.deviceId, pod.agentContainers[device.deviceId])
  );
  const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
  await step(
    "wait for the agents to answer ping",
    () =>
      waitForAgents(operatorClient, agents, {
        timeoutMs: readyTimeoutMs,
        signal: options.signal,
      }),
  );

  const podmanCli = [
    "env",
    ...Object.entries(store.env).map(([k, v]) => `${k}=${shellQuote(v)}`),
    "podman",
    ...store.podmanArgs.map(shellQuote),
  ].join(" ");
  return {
    backend: "podman",
    auth: callout ? "callout" : "userpass",
    callout,
    namespace,
    dir: stackDir,
    keep,
    natsUrl: pod.natsUrl,
    operatorClient,
    admin,
    devices: new Map(devices.map((device) => [device.deviceId, {
      user: device.user,
      password: device.password,
    }])),
    resources: resources.move(),
    async killAgent(deviceId) {
      const container = pod.agentContainers[deviceId];
      // Stopped, not killed: podman restarts a killed container of a
      // Deployment (restart policy Always); `stop --time 0` sends SIGKILL
      // at once after the stop signal and keeps it down.
      await store.podman(["stop", "--time", "0", container]);
    },
    debugInfo() {
      const basics = stackDebugBasics({
        namespace,
        keep,
        dir: stackDir,
        natsUrl: pod.natsUrl,
        admin,
        deviceIds: devices.map((device) => device.deviceId),
      });
      // The store's podman command is long: one alias, used below.
      const p = "fleet-e2e-podman";
      const lines = [
        ...basics.lines,
        `manifests: ${file} (podman kube play; the cluster's manifests, mapped by adaptForPodman)`,
        `podman: alias ${p}=${shellQuote(podmanCli)}`,
        `pods: ${p} pod ps --filter name=${namespace}`,
        `logs nats-server: ${p} logs -f ${pod.natsContainer}`,
        ...devices.map((device) =>
          `logs agent: ${p} logs -f ${pod.agentContainers[device.deviceId]}`
        ),
        ...(callout?.debugLines({
          natsUrl: pod.natsUrl,
          cli: cliCommand(),
          deviceIds: devices.map((device) => device.deviceId),
        }) ?? []),
      ];
      if (keep) {
        // In full, so it works in any shell.
        lines.push(
          `clean up: ${podmanCli} pod rm --force --time 0 ${
            pod.pods.join(" ")
          }; ${podmanCli} volume rm --force ${pod.volumes.join(" ")}; rm -rf ${
            shellQuote(stackDir)
          }`,
        );
      }
      return lines.map((line) => `[e2e] ${line}`).join("\n");
    },
    release() {
      // Pods run under conmon, in sessions of their own; the callout (a
      // child of this process) is let go.
      callout?.process?.unref();
    },
  };
}

/** An agent in container `container`, as `waitForAgent` sees it. */
function containerAgent(
  store: PodmanStore,
  deviceId: string,
  container: string,
): ReadyAgent {
  return {
    deviceId,
    // A container of a Deployment is restarted when it exits: the deadline
    // decides, and the message shows its log.
    exitStatus: undefined,
    exited: new Promise(() => {}),
    logPath: `podman logs ${container}`,
    async logTail(lines = 20) {
      const run = await store.podman(
        ["logs", "--tail", String(lines), container],
        { check: false },
      );
      const decoder = new TextDecoder();
      return `${decoder.decode(run.stdout)}${decoder.decode(run.stderr)}`
        .trimEnd();
    },
  };
}

/**
 * Removes what `podman kube play` made: the pods with their containers
 * (also pods a failed play left half-made), then the ConfigMaps' volumes,
 * which `kube down` would leave behind anyway. The pods are killed first
 * and removed once their containers have stopped running: `pod rm
 * --force` on a running pod takes 3.5 s a pod here, after the kill
 * usually 0.1–0.4 s.
 */
async function removePods(
  store: PodmanStore,
  pod: PodmanManifests,
): Promise<void> {
  await store.podman(["pod", "kill", ...pod.pods], { check: false });
  const prefix = pod.pods.map((name) => `^${name}-`).join("|");
  await waitFor("the stack's containers to exit", async () => {
    const running = await store.podman(
      ["ps", "--filter", `name=${prefix}`, "--format", "{{.Names}}"],
      { check: false },
    );
    return running.code !== 0 ||
      new TextDecoder().decode(running.stdout).trim() === "";
  }, { timeoutMs: 5_000, intervalMs: 50 }).catch(() => {
    // Still running: `pod rm --force` stops them, only slower.
  });
  // One podman call per pod, side by side: now and then podman 4.3 takes
  // 3.3 s to remove a pod whose containers have exited (seen, not
  // explained); side by side that happens once per teardown at most. What
  // a first attempt leaves is tried again, and what stays is an error.
  let left: string[] = [];
  for (let attempt = 1; attempt <= 3; attempt++) {
    await Promise.all(
      pod.pods.map((name) =>
        store.podman(
          ["pod", "rm", "--force", "--ignore", "--time", "0", name],
          {
            check: false,
          },
        )
      ),
    );
    await store.podman(["volume", "rm", "--force", ...pod.volumes], {
      check: false,
    });
    left = await leftOf(store, pod);
    if (left.length === 0) return;
  }
  throw new Error(
    `Cannot remove the podman backend's ${
      left.join(", ")
    }: still there after 3 attempts`,
  );
}

/** Which of the stack's pods and volumes are still in the store. */
async function leftOf(
  store: PodmanStore,
  pod: PodmanManifests,
): Promise<string[]> {
  const names = async (args: string[]) => {
    const run = await store.podman(args, { check: false });
    return new TextDecoder().decode(run.stdout).split("\n");
  };
  const pods = new Set(await names(["pod", "ps", "--format", "{{.Name}}"]));
  const volumes = new Set(
    await names(["volume", "ls", "--format", "{{.Name}}"]),
  );
  return [
    ...pod.pods.filter((name) => pods.has(name)).map((name) => `pod "${name}"`),
    ...pod.volumes.filter((name) => volumes.has(name)).map((name) =>
      `volume "${name}"`
    ),
  ];
}
