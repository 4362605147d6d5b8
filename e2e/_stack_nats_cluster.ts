/**
 * The clustered NATS of a `local` stack (`natsCluster: 3`): its client
 * ports and URLs, picked before the agents start, the cluster itself, the
 * operator connection's reconnect settings and the debug lines. Private to
 * `e2e/`.
 */
import type { ConnectionOptions, NatsConnection } from "../nats/mod.ts";
import { ensureDeviceRegistry } from "../operator/registry.ts";
import { RegistryError, RegistryFailure } from "../operator/registry_errors.ts";
import { pickFreePort } from "../testing/free_port.ts";
import { NatsCluster } from "../testing/nats_cluster.ts";
import type { NatsServerConfigOptions } from "../testing/nats_server_config.ts";
import type { StackOptions } from "./_stack_options.ts";
import type { StackBackend } from "./_stack_parts.ts";

/** Most nodes a stack's cluster may have. */
const MAX_NODES = 9;

/**
 * Checks `natsCluster` before anything starts.
 *
 * @throws {RangeError} for a size that is not an integer in 2..9, or a
 *   backend other than `local` (the container backends run one nats-server).
 */
export function checkNatsCluster(
  options: StackOptions,
  backend: StackBackend,
): void {
  const size = options.natsCluster;
  if (size === undefined) return;
  if (!Number.isInteger(size) || size < 2 || size > MAX_NODES) {
    throw new RangeError(
      `Cannot bring up an e2e stack with natsCluster ${size}: expected an integer in 2..${MAX_NODES}`,
    );
  }
  if (backend !== "local") {
    throw new RangeError(
      `Cannot bring up an e2e stack with natsCluster ${size} on backend "${backend}": only the "local" backend runs a nats-server cluster`,
    );
  }
}

/** Where a stack's NATS listens, picked before anything starts. */
export interface StackNatsPlan {
  /** The client port of each server (one without a cluster). */
  ports: number[];
  /** `nats://127.0.0.1:<port>` (`tls://` with TLS), one per server. */
  urls: string[];
  /** How many nodes, or `undefined` for a single nats-server. */
  clusterSize?: number;
}

/** Picks the client port(s) and URL(s) of a stack's NATS. */
export function planStackNats(options: StackOptions): StackNatsPlan {
  const size = options.natsCluster;
  const ports = Array.from({ length: size ?? 1 }, () => pickFreePort());
  const scheme = options.tls ? "tls" : "nats";
  return {
    ports,
    urls: ports.map((port) => `${scheme}://127.0.0.1:${port}`),
    clusterSize: size,
  };
}

/**
 * Starts the cluster of `plan`: node `i` in `<dir>/nats-<i>`, named
 * `<namespace>-<i>`, on `plan.ports[i]`, each with the stack's users and
 * TLS; resolves once every node is ready and routed to the others.
 */
export async function startStackCluster(
  plan: StackNatsPlan,
  options: {
    dir: string;
    namespace: string;
    binary: string;
    config: Omit<NatsServerConfigOptions, "port" | "storeDir">;
    newSession: boolean;
  },
): Promise<NatsCluster> {
  const { serverName: _, ...config } = options.config;
  return await NatsCluster.start({
    size: plan.clusterSize,
    dir: options.dir,
    name: options.namespace,
    clientPorts: plan.ports,
    binary: options.binary,
    config,
    newSession: options.newSession,
  });
}

/**
 * The operator connection's reconnect settings. With a cluster: reconnect
 * for ever, try a server again 250 ms after it failed (nats-core's
 * default is 10 attempts, 2 s apart), so after a whole-cluster restart the
 * operator is back as soon as a node is, like the agents (1 s apart); and
 * give each dial 2 s (nats-core's default is 20 s, and a dial to a node
 * that is shutting down gets its INFO, then the close, and still waits the
 * whole timeout for the handshake's PONG). Without a cluster: nats-core's
 * defaults, as before.
 */
export function operatorReconnectOptions(
  plan: StackNatsPlan,
): Partial<ConnectionOptions> {
  if (plan.clusterSize === undefined) return {};
  return { maxReconnectAttempts: -1, reconnectTimeWait: 250, timeout: 2_000 };
}

/**
 * The device registry's replicas when `registryReplicas` is not given: 3 on
 * a cluster of 3 nodes or more (so the registry survives the loss of a
 * node), else 1.
 */
export function stackRegistryReplicas(plan: StackNatsPlan): number {
  return (plan.clusterSize ?? 1) >= 3 ? 3 : 1;
}

/**
 * Creates the device registry on a fresh cluster: waits until every node
 * says JetStream is healthy, then creates it, again while JetStream cannot
 * place it yet (the meta leader learns that its peers are online a moment
 * after it is elected: "no suitable peers for placement, peer offline"),
 * until `timeoutMs` has passed.
 */
export async function createClusterRegistry(
  nc: NatsConnection,
  cluster: NatsCluster,
  options: { replicas: number; timeoutMs: number },
): Promise<void> {
  await cluster.waitForJetStream({ timeoutMs: options.timeoutMs });
  // A fresh meta leader (raft elections take 4–9 s in nats-server) may go
  // on seeing its peers offline until their next stats update; placement
  // gets its own deadline, counted once JetStream is healthy.
  const deadline = Date.now() + options.timeoutMs;
  while (true) {
    try {
      await ensureDeviceRegistry(nc, { replicas: options.replicas });
      return;
    } catch (error) {
      const retry = error instanceof RegistryError &&
        (error.reason === RegistryFailure.Failed ||
          error.reason === RegistryFailure.Timeout) &&
        Date.now() < deadline;
      if (!retry) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** The nodes of `cluster` for the debug text. */
export function clusterDebugNodes(
  cluster: NatsCluster,
): { name: string; logPath: string; pid?: number }[] {
  return cluster.nodes.map((node) => ({
    name: node.name,
    logPath: node.logPath,
    pid: cluster.running(node.index)
      ? cluster.process(node.index)?.pid
      : undefined,
  }));
}
