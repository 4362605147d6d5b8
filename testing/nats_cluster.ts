/**
 * A cluster of nats-server child processes with JetStream, owned as an
 * `AsyncDisposable`, whose nodes can be killed and started again.
 *
 * @module
 */
import { findNatsServer } from "./nats_server_binary.ts";
import type { NatsServerConfigOptions } from "./nats_server_config.ts";
import {
  NatsServerProcess,
  NatsServerStartError,
} from "./nats_server_process.ts";
import { pickFreePort } from "./free_port.ts";
import { timer } from "./child_process.ts";

/** Options of {@linkcode NatsCluster.start}. */
export interface NatsClusterOptions {
  /**
   * How many nodes (nats-server processes), 2 to 9.
   *
   * @default {3}
   */
  size?: number;
  /**
   * Directory of the nodes: node `i` keeps its config, log and JetStream
   * store in `<dir>/nats-<i>`. When omitted, a new temp dir is made and
   * removed when the cluster is disposed.
   *
   * @default {a new temp dir, owned by the cluster}
   */
  dir?: string;
  /**
   * The cluster's name; node `i` is named `<name>-<i>`.
   *
   * @default {"fleet-<8 hex>"}
   */
  name?: string;
  /**
   * What every node's config has in common (users, TLS, …): the options of
   * `renderNatsServerConfig` minus what each node gets of its own (ports,
   * store, name, cluster block).
   *
   * @default {{}} (no users: anyone may connect)
   */
  config?: Omit<
    NatsServerConfigOptions,
    "port" | "storeDir" | "serverName" | "cluster" | "monitorPort"
  >;
  /**
   * The client port of each node (as many as `size`), so that clients can
   * be given the URLs before the cluster starts. When omitted, free ports
   * are picked, and picked again if another process takes one first.
   *
   * @default {free ports}
   */
  clientPorts?: readonly number[];
  /**
   * The nats-server binary.
   *
   * @default {await findNatsServer()}
   */
  binary?: string;
  /**
   * How long each node may take to be ready and routed to every other
   * running node.
   *
   * @default {10_000}
   */
  readyTimeoutMs?: number;
  /**
   * How long a stop waits after SIGTERM before sending SIGKILL.
   *
   * @default {5_000}
   */
  stopTimeoutMs?: number;
  /**
   * Start the nodes in a session of their own (`setsid`), as
   * `NatsServerProcessOptions.newSession`.
   *
   * @default {false}
   */
  newSession?: boolean;
}

/** Options of {@linkcode NatsCluster.restart} and {@linkcode NatsCluster.stop}. */
export interface NatsClusterStopOptions {
  /**
   * `"SIGTERM"`: nats-server shuts down cleanly (SIGKILL after
   * `stopTimeoutMs`). `"SIGKILL"`: a crash.
   *
   * @default {"SIGTERM"}
   */
  signal?: "SIGTERM" | "SIGKILL";
}

/** One node of a {@linkcode NatsCluster}. */
export interface NatsClusterNode {
  /** Its index, 0 … size-1. */
  readonly index: number;
  /** Its `server_name`: `<cluster name>-<index>`. */
  readonly name: string;
  /** `nats://127.0.0.1:<client port>`. */
  readonly url: string;
  /** The client port. */
  readonly port: number;
  /** Its dir: config, log, JetStream store. */
  readonly dir: string;
  /** The file it logs to (earlier runs' logs are kept beside it). */
  readonly logPath: string;
  /** `http://127.0.0.1:<port>`: its monitoring endpoint. */
  readonly monitorUrl: string;
}

/** Thrown when a cluster node does not get routes to every other running node in time. */
export class NatsClusterRouteError extends Error {
  /** The node that lacks routes. */
  readonly node: string;
  /** The nodes it has no route to. */
  readonly missing: readonly string[];

  /** Builds the error for `node`. */
  constructor(node: string, missing: readonly string[], timeoutMs: number) {
    super(
      `nats-server cluster node "${node}" has no route to ${
        missing.map((m) => `"${m}"`).join(", ")
      } after ${timeoutMs} ms`,
    );
    this.name = "NatsClusterRouteError";
    this.node = node;
    this.missing = missing;
  }
}

const PORT_ATTEMPTS = 3;
const POLL_MS = 20;

interface NodePorts {
  client: number;
  cluster: number;
  monitor: number;
}

/**
 * A running nats-server cluster on loopback: `size` nodes (3 by default),
 * each with its own client port, route port, monitoring port and JetStream
 * store, all with the same users and TLS, routed to one another, JetStream
 * clustered. `start` resolves once every node is ready and routed to every
 * other. Give clients all of {@linkcode NatsCluster.urls}. A node can be
 * crashed ({@linkcode NatsCluster.kill}), stopped, and started again on the
 * same ports with the same store ({@linkcode NatsCluster.start},
 * {@linkcode NatsCluster.restart}); without an index these act on every
 * node at once. Disposing stops every node (SIGTERM, then SIGKILL after a
 * deadline) and removes the dir if the cluster made it; it is idempotent.
 *
 * JetStream needs a meta leader before it answers: right after the first
 * start that takes well under a second; after the whole cluster has been
 * restarted, nats-server waits an election timeout (several seconds)
 * first. {@linkcode NatsCluster.waitForJetStream} waits for it.
 *
 * @example
 * ```ts ignore
 * import { NatsCluster, TEST_ADMIN } from "../testing/mod.ts";
 * await using cluster = await NatsCluster.start({ config: { admin: TEST_ADMIN } });
 * cluster.urls; // ["nats://127.0.0.1:41234", "nats://127.0.0.1:41236", …]
 * await cluster.kill(1);    // a crash of node 1
 * await cluster.start(1);   // back, same port and store
 * await cluster.restart();  // every node stopped, then started again
 * ```
 */
export class NatsCluster implements AsyncDisposable {
  readonly #processes: (NatsServerProcess | undefined)[];
  readonly #ports: readonly NodePorts[];
  readonly #options: NatsClusterOptions & { binary: string };
  readonly #ownsDir: boolean;
  readonly #runs: number[];
  #disposed: Promise<void> | undefined;

  /** The cluster's name. */
  readonly name: string;
  /** The dir holding every node's dir. */
  readonly dir: string;
  /** The nodes, in index order. */
  readonly nodes: readonly NatsClusterNode[];

  private constructor(
    fields: {
      name: string;
      dir: string;
      ownsDir: boolean;
      ports: readonly NodePorts[];
      processes: NatsServerProcess[];
    },
    options: NatsClusterOptions & { binary: string },
  ) {
    this.name = fields.name;
    this.dir = fields.dir;
    this.#ownsDir = fields.ownsDir;
    this.#ports = fields.ports;
    this.#processes = [...fields.processes];
    this.#runs = fields.processes.map(() => 1);
    this.#options = options;
    this.nodes = fields.ports.map((ports, index) => ({
      index,
      name: nodeName(fields.name, index),
      url: `nats://127.0.0.1:${ports.client}`,
      port: ports.client,
      dir: nodeDir(fields.dir, index),
      logPath: `${nodeDir(fields.dir, index)}/nats-server.log`,
      monitorUrl: `http://127.0.0.1:${ports.monitor}`,
    }));
  }

  /** Every node's client URL, `nats://127.0.0.1:<port>`, in index order. */
  get urls(): string[] {
    return this.nodes.map((node) => node.url);
  }

  /** How many nodes it has. */
  get size(): number {
    return this.nodes.length;
  }

  /**
   * The running process of node `index`; `undefined` while it is down
   * (killed or stopped).
   *
   * @throws {RangeError} for an index that is not a node's.
   */
  process(index: number): NatsServerProcess | undefined {
    this.#check(index);
    return this.#processes[index];
  }

  /** Whether node `index` runs. */
  running(index: number): boolean {
    const process = this.process(index);
    return process !== undefined && process.exitStatus === undefined;
  }

  /** Starts a cluster and waits until it is ready; see the class docs. */
  static async start(options: NatsClusterOptions = {}): Promise<NatsCluster> {
    const size = options.size ?? 3;
    // One node has no route, and clustered JetStream refuses to start.
    if (!Number.isInteger(size) || size < 2 || size > 9) {
      throw new RangeError(
        `Cannot start a nats-server cluster of ${size} nodes: expected an integer in 2..9`,
      );
    }
    if (
      options.clientPorts !== undefined && options.clientPorts.length !== size
    ) {
      throw new RangeError(
        `Cannot start a nats-server cluster of ${size} nodes on ${options.clientPorts.length} client ports: expected one per node`,
      );
    }
    const binary = options.binary ?? await findNatsServer();
    const name = options.name ?? `fleet-${randomHex(4)}`;
    const dir = options.dir ??
      await Deno.makeTempDir({ prefix: "fleet-nats-cluster-" });
    const ownsDir = options.dir === undefined;
    try {
      for (let attempt = 1;; attempt++) {
        const ports = Array.from({ length: size }, (_, i) => ({
          client: options.clientPorts?.[i] ?? pickFreePort(),
          cluster: pickFreePort(),
          monitor: pickFreePort(),
        }));
        const cluster = new NatsCluster(
          { name, dir, ownsDir, ports, processes: [] },
          { ...options, binary },
        );
        try {
          await cluster.start();
          return cluster;
        } catch (error) {
          await cluster.#stopAll("SIGKILL");
          const retry = error instanceof NatsServerStartError &&
            error.addressInUse && attempt < PORT_ATTEMPTS;
          if (!retry) throw error;
        }
      }
    } catch (error) {
      if (ownsDir) await Deno.remove(dir, { recursive: true });
      throw error;
    }
  }

  /**
   * Starts node `index` again (or every node that is down, without an
   * index) on its ports with its store, and waits until it is ready and
   * routed to every other running node. A node that runs is left alone.
   *
   * @throws {RangeError} for an index that is not a node's.
   * @throws {NatsServerStartError} when a node does not start.
   * @throws {NatsClusterRouteError} when routes are not up in time.
   */
  async start(index?: number): Promise<void> {
    const indexes = this.#indexes(index).filter((i) => !this.running(i));
    await settleAll(indexes.map((i) => this.#startNode(i)));
    const timeoutMs = this.#options.readyTimeoutMs ?? 10_000;
    await settleAll(
      this.nodes.filter((node) => this.running(node.index)).map((node) =>
        this.#waitForRoutes(node, timeoutMs)
      ),
    );
  }

  /**
   * Kills node `index` (or every node) at once with SIGKILL, as a crash or
   * a power loss would, and waits until it has exited. Its store is kept.
   *
   * @throws {RangeError} for an index that is not a node's.
   */
  async kill(index?: number): Promise<void> {
    await this.stop(index, { signal: "SIGKILL" });
  }

  /**
   * Stops node `index` (or every node, in parallel) and waits until it has
   * exited; SIGTERM by default.
   *
   * @throws {RangeError} for an index that is not a node's.
   */
  async stop(
    index?: number,
    options: NatsClusterStopOptions = {},
  ): Promise<void> {
    await settleAll(
      this.#indexes(index).map((i) =>
        this.#stopNode(i, options.signal ?? "SIGTERM")
      ),
    );
  }

  /**
   * {@linkcode NatsCluster.stop}, then {@linkcode NatsCluster.start}: node
   * `index`, or the whole cluster (every node down, then every node up).
   */
  async restart(
    index?: number,
    options: NatsClusterStopOptions = {},
  ): Promise<void> {
    await this.stop(index, options);
    await this.start(index);
  }

  /**
   * Waits until every running node's `/healthz` says JetStream is healthy
   * (a meta leader known, its streams current).
   *
   * @throws {Error} when that takes longer than `timeoutMs` (default
   *   20,000), naming the node and its last answer.
   */
  async waitForJetStream(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 20_000;
    const deadline = Date.now() + timeoutMs;
    for (const node of this.nodes) {
      let last = "";
      while (this.running(node.index)) {
        const answer = await getText(`${node.monitorUrl}/healthz`);
        if (answer.ok) break;
        last = answer.text;
        if (Date.now() > deadline) {
          throw new Error(
            `JetStream of nats-server cluster node "${node.name}" is not healthy after ${timeoutMs} ms: ${last}`,
          );
        }
        await pause(POLL_MS * 5);
      }
    }
  }

  /** Lets this Deno process exit while the nodes keep running; dispose still stops them. */
  unref(): void {
    for (const process of this.#processes) process?.unref();
  }

  /** Stops every node and removes the dir if the cluster made it; idempotent. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#disposed ??= (async () => {
      await this.#stopAll("SIGTERM");
      if (this.#ownsDir) await Deno.remove(this.dir, { recursive: true });
    })();
    return this.#disposed;
  }

  async #stopAll(signal: "SIGTERM" | "SIGKILL"): Promise<void> {
    await settleAll(
      this.#processes.map((_, i) => this.#stopNode(i, signal)),
    );
  }

  async #stopNode(index: number, signal: "SIGTERM" | "SIGKILL") {
    const process = this.#processes[index];
    if (process === undefined) return;
    if (signal === "SIGKILL") await process.kill();
    await process[Symbol.asyncDispose]();
    if (this.#processes[index] === process) this.#processes[index] = undefined;
  }

  async #startNode(index: number): Promise<void> {
    const node = this.nodes[index];
    const ports = this.#ports[index];
    await Deno.mkdir(node.dir, { recursive: true });
    const run = this.#runs[index] = (this.#runs[index] ?? 0) + 1;
    // NatsServerProcess truncates its log: keep the earlier run's.
    if (run > 1) {
      await Deno.rename(node.logPath, `${node.dir}/nats-server.${run - 1}.log`)
        .catch(() => {});
    }
    this.#processes[index] = await NatsServerProcess.start({
      dir: node.dir,
      port: ports.client,
      binary: this.#options.binary,
      readyTimeoutMs: this.#options.readyTimeoutMs,
      stopTimeoutMs: this.#options.stopTimeoutMs,
      newSession: this.#options.newSession,
      config: {
        ...this.#options.config,
        serverName: node.name,
        monitorPort: ports.monitor,
        cluster: {
          name: this.name,
          port: ports.cluster,
          // The others only: nats-server would skip its own route, but
          // counts it when it guesses the size of a new JetStream cluster.
          routes: this.#ports.filter((_, i) => i !== index).map((p) =>
            `nats-route://127.0.0.1:${p.cluster}`
          ),
        },
      },
    });
  }

  async #waitForRoutes(node: NatsClusterNode, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const peers = this.nodes.filter((other) =>
        other !== node && this.running(other.index)
      ).map((other) => other.name);
      const answer = await getText(`${node.monitorUrl}/routez`);
      const routed = new Set<string>();
      if (answer.ok) {
        const routez = JSON.parse(answer.text) as {
          routes?: { remote_name?: string }[];
        };
        for (const route of routez.routes ?? []) {
          if (route.remote_name) routed.add(route.remote_name);
        }
      }
      const missing = peers.filter((peer) => !routed.has(peer));
      if (missing.length === 0) return;
      if (Date.now() > deadline || !this.running(node.index)) {
        throw new NatsClusterRouteError(node.name, missing, timeoutMs);
      }
      await pause(POLL_MS);
    }
  }

  #indexes(index: number | undefined): number[] {
    if (index === undefined) return this.nodes.map((node) => node.index);
    this.#check(index);
    return [index];
  }

  #check(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.nodes.length) {
      throw new RangeError(
        `nats-server cluster "${this.name}" has no node ${index}: expected an integer in 0..${
          this.nodes.length - 1
        }`,
      );
    }
  }
}

function nodeName(cluster: string, index: number): string {
  return `${cluster}-${index}`;
}

function nodeDir(dir: string, index: number): string {
  return `${dir}/nats-${index}`;
}

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("");
}

async function getText(url: string): Promise<{ ok: boolean; text: string }> {
  try {
    const response = await fetch(url);
    return { ok: response.ok, text: await response.text() };
  } catch (error) {
    return { ok: false, text: error instanceof Error ? error.message : "" };
  }
}

async function pause(ms: number): Promise<void> {
  await timer(ms, undefined).promise;
}

/** Like `Promise.all`, but settles only once every promise has settled. */
async function settleAll(promises: Promise<unknown>[]): Promise<void> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
}
