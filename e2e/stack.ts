/**
 * {@linkcode Stack}: a nats-server and one agent per device, brought up for
 * a test and torn down with `await using`.
 *
 * @module
 */
import type { NatsConnection, NatsTlsFiles } from "../nats/mod.ts";
import { connect } from "../nats/mod.ts";
import {
  type AgentExecOptions,
  AgentProcess,
} from "../testing/agent_process.ts";
import type { PodmanRun } from "../testing/mod.ts";
import { findNatsServer } from "../testing/nats_server_binary.ts";
import type { Credentials } from "../testing/nats_server_config.ts";
import {
  NatsServerProcess,
  NatsServerStartError,
} from "../testing/nats_server_process.ts";
import { pickFreePort } from "../testing/free_port.ts";
import { findSetsid, isExecutableFile } from "../testing/child_process.ts";
import { waitForAgent } from "./_agent_ready.ts";
import { renderDebugInfo } from "./_debug_info.ts";
import { OPERATOR_CERT, StackTls } from "./_stack_tls.ts";
import {
  deviceLabel,
  type StackContainer,
  StackContainerError,
  StackPodman,
  type StartContainerOptions,
  type StopContainerOptions,
} from "./_stack_podman.ts";

export {
  DEVICE_LABEL_KEY,
  type StackContainer,
  StackContainerError,
  type StartContainerOptions,
  type StopContainerOptions,
} from "./_stack_podman.ts";

/** Where a stack runs. */
export type StackBackend = "local" | "k3d";

/** Whether a stack's agents have a container runtime. */
export type StackRuntime = "podman" | "disabled";

/** Environment variable that keeps a stack (processes, dir) after dispose. */
export const FLEET_E2E_KEEP_ENV = "FLEET_E2E_KEEP";

/** Options of {@linkcode Stack.bringUp}. */
export interface StackOptions {
  /**
   * How many devices (one agent each).
   *
   * @default {1}
   */
  devices?: number;
  /**
   * `"local"`: a nats-server process and agent processes. `"k3d"` is not
   * implemented yet.
   *
   * @default {"local"}
   */
  backend?: StackBackend;
  /**
   * The nats-server binary.
   *
   * @default {await findNatsServer()}
   */
  natsServerBin?: string;
  /**
   * Keep everything (processes, dir) on dispose and print where it is.
   *
   * @default {Deno.env.get("FLEET_E2E_KEEP") === "1"}
   */
  keep?: boolean;
  /**
   * How long each agent may take to answer its first ping.
   *
   * @default {20_000}
   */
  readyTimeoutMs?: number;
  /**
   * The agents' `heartbeat_interval_s`.
   *
   * @default {10}
   */
  heartbeatIntervalS?: number;
  /**
   * Mutual TLS, as devices on the internet use it: a throwaway CA, a server
   * certificate (127.0.0.1, ::1, localhost) and a client certificate per
   * device and for the operator (admin), made with WebCrypto in
   * `<dir>/tls`; nats-server requires TLS with `verify: true` and
   * `handshake_first: true`; the agents (`tls_*` keys) and
   * {@linkcode Stack.operatorClient} connect with their certificates, TLS
   * first, to `tls://127.0.0.1:<port>`. Users and passwords stay: a
   * device's certificate does not name its user, its password does.
   *
   * @default {false}
   */
  tls?: boolean;
  /**
   * `"podman"`: one podman API service for the stack (its own socket and
   * storage, so parallel stacks and the user's own containers never meet),
   * the workload image (busybox, built once per machine and cached by its
   * content hash), and every agent with `runtime_enabled = true`,
   * `[runtime] socket` on that service and `container_label =
   * "harmony.fleet/device=<device id>"`; containers come from
   * {@linkcode Stack.startContainer}. Needs podman, runc and
   * busybox-static: without them `bringUp` throws
   * {@linkcode StackBringUpError} at step `"find podman"`, saying what to
   * install. `"disabled"`: agents with `runtime_enabled = false` (container
   * verbs answer `unsupported`).
   *
   * @default {"disabled"}
   */
  runtime?: StackRuntime;
  /**
   * The podman binary (with `runtime: "podman"`).
   *
   * @default {"podman"}
   */
  podmanBin?: string;
  /**
   * Every agent's `[exec]` policy: `enabled` (container exec) and
   * `allowHost` (host exec).
   *
   * @default {{} (the agent's defaults: container exec on, host exec off)}
   */
  exec?: AgentExecOptions;
  /**
   * Aborts the bring-up (e.g. on Ctrl-C): what was started is torn down and
   * `bringUp` throws {@linkcode StackBringUpError} naming the step it was
   * at, with the signal's reason as the cause's cause.
   *
   * @default {never}
   */
  signal?: AbortSignal;
}

/**
 * Thrown when a stack cannot be brought up; names the step that failed.
 * Everything already started has been torn down when it is thrown (unless
 * the stack is kept).
 *
 * @example
 * ```ts ignore
 * import { Stack, StackBringUpError } from "@harmony/fleet/e2e";
 * try {
 *   await using stack = await Stack.bringUp({ natsServerBin: "/nonexistent" });
 * } catch (error) {
 *   if (error instanceof StackBringUpError) console.error(error.step);
 * }
 * ```
 */
export class StackBringUpError extends Error {
  /** The stack's namespace. */
  readonly namespace: string;
  /** The step that failed, e.g. `"start nats-server"`. */
  readonly step: string;

  /** Builds the error; the message includes the cause's message. */
  constructor(namespace: string, step: string, options?: ErrorOptions) {
    const cause = options?.cause;
    super(
      `Cannot bring up e2e stack "${namespace}": ${step} failed${
        cause === undefined
          ? ""
          : `: ${cause instanceof Error ? cause.message : String(cause)}`
      }`,
      options,
    );
    this.name = "StackBringUpError";
    this.namespace = namespace;
    this.step = step;
  }
}

const ADDRESS_IN_USE_ATTEMPTS = 3;

/**
 * Like `Promise.all`, but settles only once every promise has settled, so
 * nothing is still running when the caller starts tearing down.
 */
async function allOrFirstError<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}

function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("");
}

interface StackFields {
  namespace: string;
  dir: string;
  keep: boolean;
  natsServer: NatsServerProcess;
  natsUrl: string;
  tls: StackTls | undefined;
  podman: StackPodman | undefined;
  operatorClient: NatsConnection;
  admin: Credentials;
  devices: ReadonlyMap<
    string,
    { credentials: Credentials; agent: AgentProcess }
  >;
}

/**
 * A local fleet for end-to-end tests: a nats-server with a generated config
 * (an admin user; one user per device, allowed only its own subjects) and
 * one agent process per device, each answering ping before `bringUp`
 * resolves. Every stack has its own namespace `e2e-<8 hex>`, carried by its
 * device ids, and its own temp dir. With `runtime: "podman"` it also has a
 * podman API service of its own (own socket and storage) with the workload
 * image, each agent sees the containers labelled with its device id, and
 * {@linkcode Stack.startContainer} starts such containers. Disposing
 * closes the operator connection, stops the agents, then nats-server,
 * removes the containers, stops the podman service (leaving no process,
 * mount or file of it), and removes the dir, unless `keep`
 * (`FLEET_E2E_KEEP=1`) is set.
 *
 * @example
 * ```ts ignore
 * import { Stack } from "@harmony/fleet/e2e";
 * import { FleetCommandsClient } from "@harmony/fleet/operator";
 * await using stack = await Stack.bringUp({ devices: 2, runtime: "podman" });
 * const client = new FleetCommandsClient(stack.operatorClient);
 * await client.ping(stack.deviceIds[0]);
 * await stack.startContainer(stack.deviceIds[0], { name: "web", cmd: ["sh", "-c", "echo hi; sleep 600"] });
 * for await (const { data } of client.logs(stack.deviceIds[0], { container: "web" })) {
 *   console.log(new TextDecoder().decode(data)); // "hi\n"
 * }
 * ```
 */
export class Stack implements AsyncDisposable {
  readonly #resources: AsyncDisposableStack;
  readonly #admin: Credentials;
  readonly #devices: StackFields["devices"];
  readonly #tls: StackTls | undefined;
  readonly #podman: StackPodman | undefined;
  #disposed: Promise<void> | undefined;

  /** `e2e-<8 hex>`; also the suffix of every device id. */
  readonly namespace: string;
  /** The stack's temp dir: configs, logs, the JetStream store. */
  readonly dir: string;
  /** Whether dispose keeps the processes and the dir. */
  readonly keep: boolean;
  /** The nats-server process. */
  readonly natsServer: NatsServerProcess;
  /** A connection as the admin user; closed on dispose. */
  readonly operatorClient: NatsConnection;
  /** The NATS URL: `nats://127.0.0.1:<port>`, or `tls://…` with TLS. */
  readonly natsUrl: string;

  private constructor(resources: AsyncDisposableStack, fields: StackFields) {
    this.#resources = resources;
    this.#admin = fields.admin;
    this.#devices = fields.devices;
    this.#tls = fields.tls;
    this.#podman = fields.podman;
    this.namespace = fields.namespace;
    this.natsUrl = fields.natsUrl;
    this.dir = fields.dir;
    this.keep = fields.keep;
    this.natsServer = fields.natsServer;
    this.operatorClient = fields.operatorClient;
  }

  /** The device ids, `vm-device-00-<namespace>`, … */
  get deviceIds(): string[] {
    return [...this.#devices.keys()];
  }

  /** `"podman"` or `"disabled"`, as brought up. */
  get runtime(): StackRuntime {
    return this.#podman === undefined ? "disabled" : "podman";
  }

  /**
   * The socket of the stack's podman API service (`runtime: "podman"`);
   * `undefined` without podman.
   */
  get podmanSocketPath(): string | undefined {
    return this.#podman?.service.socketPath;
  }

  /** The `container_label` of `deviceId`'s agent: `harmony.fleet/device=<id>`. */
  containerLabel(deviceId: string): string {
    this.#device(deviceId);
    return deviceLabel(deviceId);
  }

  /**
   * Starts a workload container for `deviceId` (`podman run -d` of the
   * stack's busybox image) carrying its label
   * `harmony.fleet/device=<device id>`, so that device's agent sees it and
   * every other agent answers `not_found` for it; resolves once podman has
   * started it. Teardown removes it.
   *
   * @throws {RangeError} for a device not in the stack.
   * @throws {StackContainerError} when the stack runs without podman, or
   *   podman refused (e.g. the name is taken).
   * @example
   * ```ts ignore
   * const web = await stack.startContainer(stack.deviceIds[0], {
   *   name: "web",
   *   cmd: ["sh", "-c", "while true; do echo tick; sleep 1; done"],
   * });
   * web.id; // podman's container id
   * ```
   */
  async startContainer(
    deviceId: string,
    options: StartContainerOptions,
  ): Promise<StackContainer> {
    this.#device(deviceId);
    return await this.#requirePodman(
      options.name,
      `start container "${options.name}"`,
    ).startContainer(deviceId, options);
  }

  /**
   * Stops a container the stack started (`podman stop`); it stays, exited,
   * so `exec` in it answers `conflict`. Teardown removes it.
   *
   * @throws {StackContainerError} when the stack runs without podman, or
   *   podman refused (e.g. no such container).
   * @throws {RangeError} for a `timeoutS` that is not an integer ≥ 0.
   * @example
   * ```ts ignore
   * await stack.stopContainer("web");
   * ```
   */
  async stopContainer(
    name: string,
    options?: StopContainerOptions,
  ): Promise<void> {
    await this.#requirePodman(name, `stop container "${name}"`)
      .stopContainer(name, options);
  }

  /**
   * Runs `podman <args>` on the stack's podman storage (as its service
   * sees it), e.g. `["logs", "web"]`; with `check` (the default) a
   * non-zero exit throws.
   *
   * @throws {StackContainerError} when the stack runs without podman.
   * @example
   * ```ts ignore
   * const { stdout } = await stack.podman(["ps", "--format", "{{.Names}}"]);
   * ```
   */
  podman(
    args: readonly string[],
    options?: { check?: boolean; stdin?: Uint8Array },
  ): Promise<PodmanRun> {
    return this.#requirePodman("", `run "podman ${args.join(" ")}"`)
      .podman(args, options);
  }

  #requirePodman(container: string, action: string): StackPodman {
    if (this.#podman === undefined) {
      throw new StackContainerError(
        container,
        `Cannot ${action} in e2e stack "${this.namespace}": it runs without podman; bring it up with runtime: "podman"`,
      );
    }
    return this.#podman;
  }

  /** Whether the stack was brought up with `tls: true` (mutual TLS, TLS first). */
  get tls(): boolean {
    return this.#tls !== undefined;
  }

  /**
   * The operator's (admin's) TLS settings, as `connect()` takes them in
   * `tls` (CA, client certificate and key, `handshakeFirst`); `undefined`
   * without TLS.
   */
  operatorTls(): NatsTlsFiles | undefined {
    return this.#tls?.client(OPERATOR_CERT);
  }

  /**
   * The TLS settings of `deviceId`'s agent, as its `tls_*` keys give them;
   * `undefined` without TLS.
   */
  deviceTls(deviceId: string): NatsTlsFiles | undefined {
    this.#device(deviceId);
    return this.#tls?.client(deviceId);
  }

  /** The admin user and password. */
  get adminCredentials(): Credentials {
    return { ...this.#admin };
  }

  /** The NATS user and password of `deviceId`'s agent. */
  deviceCredentials(deviceId: string): Credentials {
    return { ...this.#device(deviceId).credentials };
  }

  /** The agent process of `deviceId` (e.g. to kill it). */
  agent(deviceId: string): AgentProcess {
    return this.#device(deviceId).agent;
  }

  #device(deviceId: string) {
    const device = this.#devices.get(deviceId);
    if (!device) {
      throw new RangeError(
        `Device "${deviceId}" is not in e2e stack "${this.namespace}"; its devices are ${
          this.deviceIds.map((id) => `"${id}"`).join(", ")
        }`,
      );
    }
    return device;
  }

  /**
   * The debug text: namespace (and whether it will be deleted), NATS URL,
   * admin credentials, device ids and ready-to-paste commands.
   */
  debugInfo(): string {
    return renderDebugInfo({
      namespace: this.namespace,
      keep: this.keep,
      dir: this.dir,
      natsUrl: this.natsUrl,
      admin: this.#admin,
      tls: this.operatorTls(),
      natsServerLog: this.natsServer.logPath,
      devices: [...this.#devices].map(([deviceId, { agent }]) => ({
        deviceId,
        logPath: agent.logPath,
        pid: agent.pid,
        exited: agent.exitStatus !== undefined,
      })),
      natsServerPid: this.natsServer.pid,
      natsServerExited: this.natsServer.exitStatus !== undefined,
      podman: this.#podman && {
        socketPath: this.#podman.service.socketPath,
        pid: this.#podman.service.pid,
        exited: this.#podman.exited,
        dir: this.#podman.service.dir,
        cli: this.#podman.cliPrefix,
        containers: this.#podman.containers,
      },
    });
  }

  /** Prints {@linkcode Stack.debugInfo} to stderr. */
  printDebugInfo(): void {
    console.error(this.debugInfo());
  }

  /**
   * Brings up a stack; see the class docs. Throws
   * {@linkcode StackBringUpError} naming the failed step, after tearing
   * down whatever had been started.
   */
  static async bringUp(options: StackOptions = {}): Promise<Stack> {
    const devices = options.devices ?? 1;
    if (!Number.isInteger(devices) || devices < 0 || devices > 100) {
      throw new RangeError(
        `Cannot bring up an e2e stack with ${devices} devices: expected an integer in 0..100`,
      );
    }
    const runtime = options.runtime ?? "disabled";
    if (runtime !== "podman" && runtime !== "disabled") {
      throw new RangeError(
        `Cannot bring up an e2e stack with runtime ${
          JSON.stringify(runtime)
        }: expected "podman" or "disabled"`,
      );
    }
    const backend = options.backend ?? "local";
    if (backend !== "local") {
      throw new StackBringUpError(`e2e-(${backend})`, `backend "${backend}"`, {
        cause: new Error(
          `the "${backend}" backend is not implemented yet; use backend: "local"`,
        ),
      });
    }
    for (let attempt = 1;; attempt++) {
      try {
        return await Stack.#bringUpLocal(devices, options);
      } catch (error) {
        // The port picked for nats-server was taken between picking and binding.
        const retry = error instanceof StackBringUpError &&
          error.cause instanceof NatsServerStartError &&
          error.cause.addressInUse && attempt < ADDRESS_IN_USE_ATTEMPTS;
        if (!retry) throw error;
      }
    }
  }

  static async #bringUpLocal(
    deviceCount: number,
    options: StackOptions,
  ): Promise<Stack> {
    const namespace = `e2e-${randomHex(4)}`;
    const keep = options.keep ?? Deno.env.get(FLEET_E2E_KEEP_ENV) === "1";
    let dir: string | undefined;
    const agents: AgentProcess[] = [];
    const started: { unref(): void }[] = [];
    const step = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
      try {
        options.signal?.throwIfAborted();
        return await fn();
      } catch (cause) {
        if (keep && dir) {
          for (const process of started) process.unref();
          console.error(
            `[e2e] ${FLEET_E2E_KEEP_ENV}=1: bring-up of "${namespace}" failed at "${name}"; kept its processes and "${dir}"`,
          );
        }
        throw new StackBringUpError(namespace, name, { cause });
      }
    };
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

    const admin: Credentials = { user: "admin", password: randomHex(16) };
    const devices = Array.from({ length: deviceCount }, (_, index) => {
      const deviceId = `vm-device-${
        String(index).padStart(2, "0")
      }-${namespace}`;
      return {
        deviceId,
        user: `device-${deviceId}`,
        password: randomHex(16),
      };
    });
    const port = pickFreePort();
    const natsUrl = `${options.tls ? "tls" : "nats"}://127.0.0.1:${port}`;
    const tls = options.tls
      ? await step(
        "make the TLS certificates",
        () => StackTls.write(stackDir, devices.map((d) => d.deviceId)),
      )
      : undefined;

    // Agents first: their Deno start-up is the slow part, and they retry
    // until nats-server (started meanwhile) accepts them.
    await step(
      "start the agents",
      () =>
        allOrFirstError(devices.map(async (device) => {
          agents.push(
            await AgentProcess.start({
              deviceId: device.deviceId,
              servers: natsUrl,
              credentials: { user: device.user, password: device.password },
              tls: tls?.client(device.deviceId),
              runtimeEnabled: podman !== undefined,
              runtime: podman && {
                socket: podman.service.socketPath,
                containerLabel: deviceLabel(device.deviceId),
              },
              exec: options.exec,
              dir: stackDir,
              heartbeatIntervalS: options.heartbeatIntervalS,
              newSession,
            }),
          );
        })),
    );
    const natsServer = await step(
      "start nats-server",
      () =>
        NatsServerProcess.start({
          dir: stackDir,
          port,
          binary,
          config: { admin, devices, serverName: namespace, tls: tls?.server },
          newSession,
        }),
    );
    if (!keep) natsSlot.use(natsServer);
    started.push(natsServer);

    const operatorClient = await step(
      "connect to NATS as admin",
      () =>
        connect({
          servers: natsUrl,
          user: admin.user,
          pass: admin.password,
          tls: tls?.client(OPERATOR_CERT),
          name: `fleet-e2e operator ${namespace}`,
        }),
    );
    resources.defer(() => operatorClient.close());

    const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
    const giveUp = new AbortController();
    const stopWaiting = options.signal
      ? AbortSignal.any([giveUp.signal, options.signal])
      : giveUp.signal;
    await step(
      "wait for the agents to answer ping",
      () =>
        allOrFirstError(
          agents.map((agent) =>
            waitForAgent(operatorClient, agent, {
              timeoutMs: readyTimeoutMs,
              signal: stopWaiting,
            }).catch((error) => {
              giveUp.abort(error);
              throw error;
            })
          ),
        ),
    );

    if (imageReady) await imageReady;

    const byId = new Map(agents.map((agent) => [agent.deviceId, agent]));
    const stack = new Stack(resources.move(), {
      namespace,
      dir: stackDir,
      keep,
      natsServer,
      natsUrl,
      tls,
      podman,
      operatorClient,
      admin,
      devices: new Map(devices.map((device) => [device.deviceId, {
        credentials: { user: device.user, password: device.password },
        agent: byId.get(device.deviceId)!,
      }])),
    });
    if (keep) stack.printDebugInfo();
    return stack;
  }

  /**
   * Tears the stack down: operator connection, agents (in parallel),
   * nats-server, containers, podman service, temp dir. With `keep`, only closes the operator connection,
   * lets the processes outlive this one and prints where everything is.
   * Idempotent.
   */
  [Symbol.asyncDispose](): Promise<void> {
    this.#disposed ??= (async () => {
      await this.#resources.disposeAsync();
      if (this.keep) {
        this.natsServer.unref();
        for (const { agent } of this.#devices.values()) agent.unref();
        this.#podman?.service.unref();
        console.error(
          `[e2e] ${FLEET_E2E_KEEP_ENV}=1: kept e2e stack "${this.namespace}"`,
        );
        this.printDebugInfo();
      }
    })();
    return this.#disposed;
  }
}
