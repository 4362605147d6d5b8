/**
 * {@linkcode Stack}: a nats-server and one agent per device, brought up for
 * a test and torn down with `await using`.
 *
 * @module
 */
import type { NatsConnection, NatsTlsFiles } from "../nats/mod.ts";
import { connect } from "../nats/mod.ts";
import { AgentProcess } from "../testing/agent_process.ts";
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

/** Where a stack runs. */
export type StackBackend = "local" | "k3d";

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
 * device ids, and its own temp dir. Disposing closes the operator
 * connection, stops the agents, then nats-server, and removes the dir,
 * unless `keep` (`FLEET_E2E_KEEP=1`) is set.
 *
 * @example
 * ```ts ignore
 * import { Stack } from "@harmony/fleet/e2e";
 * import { FleetCommandsClient } from "@harmony/fleet/operator";
 * await using stack = await Stack.bringUp({ devices: 2 });
 * const client = new FleetCommandsClient(stack.operatorClient);
 * await client.ping(stack.deviceIds[0]);
 * ```
 */
export class Stack implements AsyncDisposable {
  readonly #resources: AsyncDisposableStack;
  readonly #admin: Credentials;
  readonly #devices: StackFields["devices"];
  readonly #tls: StackTls | undefined;
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

    const byId = new Map(agents.map((agent) => [agent.deviceId, agent]));
    const stack = new Stack(resources.move(), {
      namespace,
      dir: stackDir,
      keep,
      natsServer,
      natsUrl,
      tls,
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
   * nats-server, temp dir. With `keep`, only closes the operator connection,
   * lets the processes outlive this one and prints where everything is.
   * Idempotent.
   */
  [Symbol.asyncDispose](): Promise<void> {
    this.#disposed ??= (async () => {
      await this.#resources.disposeAsync();
      if (this.keep) {
        this.natsServer.unref();
        for (const { agent } of this.#devices.values()) agent.unref();
        console.error(
          `[e2e] ${FLEET_E2E_KEEP_ENV}=1: kept e2e stack "${this.namespace}"`,
        );
        this.printDebugInfo();
      }
    })();
    return this.#disposed;
  }
}
