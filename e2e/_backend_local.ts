/**
 * The `local` backend of `Stack`: a nats-server process and one agent
 * process per device on this machine; with `runtime: "podman"` also a
 * podman API service of the stack's own for workload containers. Private
 * to `e2e/`.
 */
import { connect } from "../nats/mod.ts";
import { RegistryError, RegistryFailure } from "../operator/registry_errors.ts";
import { AgentProcess } from "../testing/agent_process.ts";
import { findNatsServer } from "../testing/nats_server_binary.ts";
import {
  NatsServerProcess,
  NatsServerStartError,
} from "../testing/nats_server_process.ts";
import { findSetsid, isExecutableFile } from "../testing/child_process.ts";
import { waitForAgents } from "./_agent_ready.ts";
import { createStackRegistry, waitForRegistry } from "./_stack_registry.ts";
import { cliCommand, renderDebugInfo } from "./_debug_info.ts";
import { OPERATOR_CERT, StackTls } from "./_stack_tls.ts";
import { deviceLabel, StackPodman } from "./_stack_podman.ts";
import { StackCallout } from "./_stack_callout.ts";
import {
  clusterDebugNodes,
  createClusterRegistry,
  operatorReconnectOptions,
  planStackNats,
  stackRegistryReplicas,
  startStackCluster,
} from "./_stack_nats_cluster.ts";
import { FLEET_E2E_KEEP_ENV, type StackOptions } from "./_stack_options.ts";
import {
  allOrFirstError,
  StackBringUpError,
  stackCredentials,
  type StackParts,
  stepRunner,
} from "./_stack_parts.ts";

const BRING_UP_ATTEMPTS = 3;

/**
 * Brings up a local stack, retrying when the port picked for nats-server
 * was taken between picking and binding, and when a fresh cluster's
 * JetStream never found peers to place the registry on (seen in about 1 of
 * 10 cluster bring-ups here: the meta leader kept its peers "offline").
 */
export async function bringUpLocal(
  namespace: () => string,
  options: StackOptions,
): Promise<StackParts> {
  for (let attempt = 1;; attempt++) {
    try {
      return await bringUpLocalOnce(namespace(), options);
    } catch (error) {
      const addressInUse = error instanceof StackBringUpError &&
        error.cause instanceof NatsServerStartError &&
        error.cause.addressInUse;
      const unplaced = error instanceof StackBringUpError &&
        options.natsCluster !== undefined &&
        error.cause instanceof RegistryError &&
        error.cause.reason === RegistryFailure.Failed;
      const retry = (addressInUse || unplaced) && attempt < BRING_UP_ATTEMPTS;
      if (!retry) throw error;
    }
  }
}

async function bringUpLocalOnce(
  namespace: string,
  options: StackOptions,
): Promise<StackParts> {
  const keep = options.keep ?? Deno.env.get(FLEET_E2E_KEEP_ENV) === "1";
  let dir: string | undefined;
  const agents: AgentProcess[] = [];
  const started: { unref(): void }[] = [];
  const step = stepRunner(namespace, {
    signal: options.signal,
    onFailure: (name) => {
      if (!keep || !dir) return;
      for (const process of started) process.unref();
      console.error(
        `[e2e] ${FLEET_E2E_KEEP_ENV}=1: bring-up of "${namespace}" failed at "${name}"; kept its processes and "${dir}"`,
      );
    },
  });
  await using resources = new AsyncDisposableStack();
  // A kept stack must outlive this process, also the terminal's Ctrl-C,
  // which signals the whole foreground process group: own session.
  const newSession = keep && findSetsid() !== undefined;
  if (keep && !newSession) {
    console.error(
      `[e2e] ${FLEET_E2E_KEEP_ENV}=1: no setsid on this machine, so the kept processes of "${namespace}" share this terminal's process group and stop with its Ctrl-C`,
    );
  }

  if (options.runtime === "podman") {
    await step(
      "find podman",
      () => Promise.resolve(StackPodman.check(options.podmanBin)),
    );
  }
  const binary = await step("find nats-server", async () => {
    const path = options.natsServerBin ?? await findNatsServer();
    if (!(await isExecutableFile(path))) {
      throw new NatsServerStartError(
        `nats-server "${path}" is not an executable file`,
        "",
      );
    }
    return path;
  });
  const stackDir = dir = await step(
    "create the temp dir",
    () => Deno.makeTempDir({ prefix: `fleet-${namespace}-` }),
  );
  if (!keep) {
    resources.defer(() => Deno.remove(stackDir, { recursive: true }));
  }
  // Podman before the agents: an agent with a runtime probes its socket
  // at start. Teardown: containers, then the service.
  let podman: StackPodman | undefined;
  let imageReady: Promise<string> | undefined;
  if (options.runtime === "podman") {
    const service = podman = await step(
      "start the podman service",
      () =>
        StackPodman.start(namespace, {
          podman: options.podmanBin,
          newSession,
        }),
    );
    started.push(service.service);
    if (!keep) resources.use(service.service);
    const image = imageReady = step(
      "provide the workload image",
      () => service.provideImage(),
    );
    // Awaited at the end; settled before the service goes.
    image.catch(() => {});
    resources.defer(() => image.then(() => {}, () => {}));
    if (!keep) resources.defer(() => service.removeContainers());
  }
  // Slots, so teardown runs agents → nats-server whatever order they start in.
  const natsSlot = resources.use(new AsyncDisposableStack());
  if (!keep) {
    resources.defer(async () => {
      await Promise.all(agents.map((agent) => agent[Symbol.asyncDispose]()));
    });
  }

  const { admin, devices } = stackCredentials(namespace, options.devices ?? 1);
  // auth: "callout": the issuer and the device tokens now; the callout
  // process once nats-server runs, and the agents only then (an agent that
  // logs in before the callout serves would wait out the server's auth
  // timeout and be refused).
  const callout = options.auth === "callout"
    ? await step(
      "start the mock OIDC issuer",
      () => StackCallout.prepare(stackDir, devices.map((d) => d.deviceId)),
    )
    : undefined;
  if (callout) resources.use(callout);
  const nats = planStackNats(options);
  const natsUrl = nats.urls[0];
  const tls = options.tls
    ? await step(
      "make the TLS certificates",
      () => StackTls.write(stackDir, devices.map((d) => d.deviceId)),
    )
    : undefined;

  // Agents first: their Deno start-up is the slow part, and they retry
  // until nats-server (started meanwhile) accepts them.
  const startAgents = () =>
    step(
      "start the agents",
      () =>
        allOrFirstError(devices.map(async (device, index) => {
          agents.push(
            await AgentProcess.start({
              deviceId: device.deviceId,
              servers: nats.urls,
              credentials: callout
                ? { tokenFile: callout.tokenFile(device.deviceId) }
                : { user: device.user, password: device.password },
              tls: tls?.client(device.deviceId),
              runtimeEnabled: podman !== undefined,
              runtime: podman && {
                socket: podman.service.socketPath,
                containerLabel: deviceLabel(device.deviceId),
              },
              exec: options.exec,
              dir: stackDir,
              heartbeatIntervalS: options.heartbeatIntervalS,
              labels: options.deviceLabels?.(index, device.deviceId),
              newSession,
            }),
          );
        })),
    );
  if (!callout) await startAgents();
  const natsConfig = callout
    ? {
      admin,
      callout: callout.serverConfig,
      serverName: namespace,
      tls: tls?.server,
    }
    : { admin, devices, serverName: namespace, tls: tls?.server };
  const natsCluster = nats.clusterSize === undefined ? undefined : await step(
    "start the nats-server cluster",
    () =>
      startStackCluster(nats, {
        dir: stackDir,
        namespace,
        binary,
        config: natsConfig,
        newSession,
      }),
  );
  const natsServer = natsCluster ? undefined : await step(
    "start nats-server",
    () =>
      NatsServerProcess.start({
        dir: stackDir,
        port: nats.ports[0],
        binary,
        config: natsConfig,
        newSession,
      }),
  );
  const natsRunning = (natsServer ?? natsCluster)!;
  if (!keep) natsSlot.use(natsRunning);
  started.push(natsRunning);
  if (callout) {
    const process = await step(
      "start the auth callout",
      () => callout.start(natsUrl, { newSession }),
    );
    // Stopped before nats-server, after the agents.
    if (!keep) natsSlot.use(process);
    started.push(process);
    await startAgents();
  }

  const operatorClient = await step(
    "connect to NATS as admin",
    () =>
      connect({
        servers: nats.urls,
        ...operatorReconnectOptions(nats),
        ...(callout
          ? { token: callout.operatorToken }
          : { user: admin.user, pass: admin.password }),
        tls: tls?.client(OPERATOR_CERT),
        name: `fleet-e2e operator ${namespace}`,
      }),
  );
  resources.defer(() => operatorClient.close());
  const registryReplicas = options.registryReplicas ??
    stackRegistryReplicas(nats);
  await step("create the device registry", async () => {
    if (natsCluster) {
      return await createClusterRegistry(operatorClient, natsCluster, {
        replicas: registryReplicas,
        timeoutMs: readyTimeoutMsOf(options),
      });
    }
    // With the callout, operators may read the registry but not create
    // streams: the static admin (who bypasses the callout) creates it.
    const nc = callout
      ? await connect({
        servers: nats.urls,
        user: admin.user,
        pass: admin.password,
        tls: tls?.client(OPERATOR_CERT),
        name: `fleet-e2e admin ${namespace}`,
      })
      : operatorClient;
    try {
      await createStackRegistry(nc, { replicas: registryReplicas });
    } finally {
      if (nc !== operatorClient) await nc.close();
    }
  });

  const readyTimeoutMs = readyTimeoutMsOf(options);
  await step(
    "wait for the agents to answer ping",
    () =>
      waitForAgents(operatorClient, agents, {
        timeoutMs: readyTimeoutMs,
        signal: options.signal,
      }),
  );
  await step(
    "wait for every device in the registry",
    () =>
      waitForRegistry(operatorClient, devices.map((d) => d.deviceId), {
        timeoutMs: readyTimeoutMs,
        signal: options.signal,
      }),
  );

  if (imageReady) await imageReady;

  const byId = new Map(agents.map((agent) => [agent.deviceId, agent]));
  const orderedAgents = new Map(
    devices.map((device) => [device.deviceId, byId.get(device.deviceId)!]),
  );
  return {
    backend: "local",
    auth: callout ? "callout" : "userpass",
    callout,
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
    tls,
    podman,
    natsUrls: nats.urls,
    local: { natsServer, natsCluster, agents: orderedAgents },
    resources: resources.move(),
    async killAgent(deviceId) {
      await orderedAgents.get(deviceId)!.kill();
    },
    debugInfo: () =>
      [
        renderDebugInfo({
          namespace,
          keep,
          dir: stackDir,
          natsUrl: nats.urls.join(","),
          admin,
          tls: tls?.client(OPERATOR_CERT),
          natsServerLog: natsServer?.logPath ?? "",
          devices: [...orderedAgents].map(([deviceId, agent]) => ({
            deviceId,
            logPath: agent.logPath,
            pid: agent.pid,
            exited: agent.exitStatus !== undefined,
          })),
          natsServerPid: natsServer?.pid ?? 0,
          natsServerExited: natsServer?.exitStatus !== undefined,
          natsNodes: natsCluster && clusterDebugNodes(natsCluster),
          podman: podman && {
            socketPath: podman.service.socketPath,
            pid: podman.service.pid,
            exited: podman.exited,
            dir: podman.service.dir,
            cli: podman.cliPrefix,
            containers: podman.containers,
          },
        }),
        ...(callout?.debugLines({
          natsUrl,
          cli: cliCommand(),
          deviceIds: [...orderedAgents.keys()],
        }).map((line) => `[e2e] ${line}`) ?? []),
      ].join("\n"),
    release() {
      natsRunning.unref();
      callout?.process?.unref();
      for (const agent of orderedAgents.values()) agent.unref();
      podman?.service.unref();
    },
  };
}

function readyTimeoutMsOf(options: StackOptions): number {
  return options.readyTimeoutMs ?? 20_000;
}
