/**
 * {@linkcode Stack}: a nats-server and one agent per device, brought up for
 * a test on one of three backends and torn down with `await using`.
 *
 * @module
 */
import type {
  ConnectionOptions,
  NatsConnection,
  NatsTlsFiles,
} from "../nats/mod.ts";
import type { AgentProcess } from "../testing/agent_process.ts";
import type { PodmanRun } from "../testing/mod.ts";
import type { Credentials } from "../testing/nats_server_config.ts";
import type { NatsServerProcess } from "../testing/nats_server_process.ts";
import type { MockOidcIssuer } from "../testing/mock_oidc.ts";
import type { CalloutProcess } from "../testing/callout_process.ts";
import type { NatsCluster } from "../testing/nats_cluster.ts";
import { OPERATOR_CERT } from "./_stack_tls.ts";
import {
  deviceLabel,
  type StackContainer,
  StackContainerError,
  type StackPodman,
  type StartContainerOptions,
  type StopContainerOptions,
} from "./_stack_podman.ts";
import {
  FLEET_E2E_AUTH_ENV,
  FLEET_E2E_BACKEND_ENV,
  FLEET_E2E_KEEP_ENV,
  type StackOptions,
  type StackRuntime,
} from "./_stack_options.ts";
import { STACK_AUTHS, type StackAuth } from "./_stack_callout.ts";
import {
  randomHex,
  STACK_BACKENDS,
  type StackBackend,
  type StackParts,
} from "./_stack_parts.ts";
import { bringUpLocal } from "./_backend_local.ts";
import { checkNatsCluster } from "./_stack_nats_cluster.ts";

export {
  DEVICE_LABEL_KEY,
  type StackContainer,
  StackContainerError,
  type StartContainerOptions,
  type StopContainerOptions,
} from "./_stack_podman.ts";
export {
  FLEET_E2E_AUTH_ENV,
  FLEET_E2E_BACKEND_ENV,
  FLEET_E2E_KEEP_ENV,
  type StackOptions,
  type StackRuntime,
} from "./_stack_options.ts";
export { STACK_TOKEN_LIFETIME_S, type StackAuth } from "./_stack_callout.ts";
export { type StackBackend, StackBringUpError } from "./_stack_parts.ts";

/**
 * Thrown when a stack is asked for what its backend does not have, e.g.
 * the agent process of a stack whose agents run in containers.
 *
 * @example
 * ```ts ignore
 * import { Stack, StackBackendError } from "@harmony/fleet/e2e";
 * await using stack = await Stack.bringUp({ backend: "podman" });
 * try {
 *   stack.agent(stack.deviceIds[0]);
 * } catch (error) {
 *   if (error instanceof StackBackendError) console.error(error.backend); // "podman"
 * }
 * ```
 */
export class StackBackendError extends TypeError {
  /** The stack's backend. */
  readonly backend: StackBackend;

  /** Builds the error with its full message. */
  constructor(backend: StackBackend, message: string) {
    super(message);
    this.name = "StackBackendError";
    this.backend = backend;
  }
}

/**
 * A fleet for end-to-end tests: a nats-server with a generated config (an
 * admin user; one user per device, allowed only its own subjects) and one
 * agent per device, each answering ping before `bringUp` resolves — as
 * local processes (backend `"local"`), as containers of `podman kube play`
 * (`"podman"`) or as Pods in a k3d cluster (`"k3d"`), from the same
 * Kubernetes manifests for the last two. Every stack has its own namespace
 * `e2e-<8 hex>`, carried by its device ids, and its own temp dir. On the
 * local backend with `runtime: "podman"` it also has a
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
  readonly #parts: StackParts;
  readonly #admin: Credentials;
  readonly #devices: ReadonlyMap<string, Credentials>;
  readonly #podman: StackPodman | undefined;
  #disposed: Promise<void> | undefined;

  /** `e2e-<8 hex>`; also the suffix of every device id. */
  readonly namespace: string;
  /** Where the stack runs. */
  readonly backend: StackBackend;
  /** How its devices and operator log in: `"userpass"` or `"callout"`. */
  readonly auth: StackAuth;
  /** The stack's temp dir: configs, logs, manifests, the JetStream store. */
  readonly dir: string;
  /** Whether dispose keeps what the stack runs, and its dir. */
  readonly keep: boolean;
  /** A connection as the admin user; closed on dispose. */
  readonly operatorClient: NatsConnection;
  /** The NATS URL as this machine reaches it: `nats://127.0.0.1:<port>`, or `tls://…` with TLS. */
  readonly natsUrl: string;

  private constructor(parts: StackParts) {
    this.#parts = parts;
    this.#admin = parts.admin;
    this.#devices = parts.devices;
    this.#podman = parts.podman;
    this.namespace = parts.namespace;
    this.backend = parts.backend;
    this.auth = parts.auth ?? "userpass";
    this.natsUrl = parts.natsUrl;
    this.dir = parts.dir;
    this.keep = parts.keep;
    this.operatorClient = parts.operatorClient;
  }

  /**
   * The nats-server process of a `local` stack.
   *
   * @throws {StackBackendError} on another backend (nats-server runs in a
   *   container there).
   */
  get natsServer(): NatsServerProcess {
    const local = this.#local("the nats-server process");
    if (local.natsServer === undefined) {
      throw new StackBackendError(
        this.backend,
        `Cannot get the nats-server process of e2e stack "${this.namespace}": it runs a cluster of ${local.natsCluster?.size} nats-servers; use stack.natsCluster`,
      );
    }
    return local.natsServer;
  }

  /**
   * The nats-server cluster of a `local` stack brought up with
   * `natsCluster`: kill, stop and start its nodes (`kill(i)`, `start(i)`,
   * `restart()` for the whole cluster), their URLs, logs and stores.
   *
   * @throws {StackBackendError} on another backend, or without
   *   `natsCluster`.
   * @example
   * ```ts ignore
   * await using stack = await Stack.bringUp({ devices: 3, natsCluster: 3 });
   * await stack.natsCluster.kill(0); // kill -9 of node 0
   * await stack.natsCluster.start(0); // back on its port, with its store
   * ```
   */
  get natsCluster(): NatsCluster {
    const local = this.#local("the nats-server cluster");
    if (local.natsCluster === undefined) {
      throw new StackBackendError(
        this.backend,
        `Cannot get the nats-server cluster of e2e stack "${this.namespace}": it was brought up without natsCluster`,
      );
    }
    return local.natsCluster;
  }

  /**
   * Every NATS URL as this machine reaches it: one per node of a cluster,
   * else `[natsUrl]`.
   */
  get natsUrls(): string[] {
    return [...(this.#parts.natsUrls ?? [this.natsUrl])];
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
    return this.#parts.tls !== undefined;
  }

  /**
   * The operator's (admin's) TLS settings, as `connect()` takes them in
   * `tls` (CA, client certificate and key, `handshakeFirst`); `undefined`
   * without TLS.
   */
  operatorTls(): NatsTlsFiles | undefined {
    return this.#parts.tls?.client(OPERATOR_CERT);
  }

  /**
   * The TLS settings of `deviceId`'s agent, as its `tls_*` keys give them;
   * `undefined` without TLS.
   */
  deviceTls(deviceId: string): NatsTlsFiles | undefined {
    this.#device(deviceId);
    return this.#parts.tls?.client(deviceId);
  }

  /**
   * The admin user and password (with `auth: "callout"`, a static user that
   * bypasses the callout, for debugging).
   */
  get adminCredentials(): Credentials {
    return { ...this.#admin };
  }

  /**
   * The NATS user and password of `deviceId`'s agent.
   *
   * @throws {RangeError} for a device not in the stack.
   * @throws {TypeError} on a stack with `auth: "callout"`, whose devices log
   *   in with tokens: use {@linkcode Stack.deviceConnectionOptions}.
   */
  deviceCredentials(deviceId: string): Credentials {
    const device = this.#device(deviceId);
    if (this.auth === "callout") {
      throw new TypeError(
        `Cannot get the NATS password of device "${deviceId}" in e2e stack "${this.namespace}": it runs with auth "callout", where devices log in with OIDC tokens; use deviceConnectionOptions()`,
      );
    }
    return { ...device };
  }

  /**
   * Options to connect as `deviceId` does, for `connect()`: the stack's URL,
   * the device's TLS settings and its credentials: user and password, or
   * (`auth: "callout"`) a token freshly minted for `device-<id>`.
   *
   * @throws {RangeError} for a device not in the stack.
   * @example
   * ```ts ignore
   * import { connect } from "@harmony/fleet/nats";
   * const nc = await connect(await stack.deviceConnectionOptions(stack.deviceIds[0]));
   * ```
   */
  async deviceConnectionOptions(
    deviceId: string,
  ): Promise<ConnectionOptions> {
    const device = this.#device(deviceId);
    const callout = this.#parts.callout;
    const auth = callout
      ? { token: await callout.mintDeviceToken(deviceId) }
      : { user: device.user, pass: device.password };
    const tls = this.deviceTls(deviceId);
    return { servers: this.natsUrl, ...auth, ...(tls ? { tls } : {}) };
  }

  /**
   * The token file of `deviceId`'s agent (`auth: "callout"`): replace it
   * and the agent logs in with the new token at its next reconnect. On the
   * `podman` backend the agent reads a copy mounted in its container
   * (`/etc/harmony-fleet/token`, from its ConfigMap): replacing this file
   * does not reach it.
   *
   * @throws {RangeError} for a device not in the stack.
   * @throws {TypeError} on a stack with `auth: "userpass"`.
   */
  deviceTokenFile(deviceId: string): string {
    this.#device(deviceId);
    return this.#callout(`the token file of "${deviceId}"`).tokenFile(
      deviceId,
    );
  }

  /**
   * The mock OIDC issuer of a stack with `auth: "callout"`: mint tokens
   * (`mint({ subject })`), rotate its key.
   *
   * @throws {TypeError} on a stack with `auth: "userpass"`.
   */
  get oidcIssuer(): MockOidcIssuer {
    return this.#callout("the OIDC issuer").issuer;
  }

  /**
   * The auth-callout process of a stack with `auth: "callout"` (its log:
   * `events()`, `logPath`; `kill()` for a callout outage).
   *
   * @throws {TypeError} on a stack with `auth: "userpass"`.
   */
  get callout(): CalloutProcess {
    return this.#callout("the callout process").process!;
  }

  #callout(what: string) {
    const callout = this.#parts.callout;
    if (callout === undefined) {
      throw new TypeError(
        `Cannot get ${what} of e2e stack "${this.namespace}": it runs with auth "${this.auth}"; bring it up with auth: "callout"`,
      );
    }
    return callout;
  }

  /**
   * The agent process of `deviceId` on a `local` stack (its config, log,
   * pid).
   *
   * @throws {RangeError} for a device not in the stack.
   * @throws {StackBackendError} on another backend (agents run in
   *   containers there: use {@linkcode Stack.killAgent}).
   */
  agent(deviceId: string): AgentProcess {
    this.#device(deviceId);
    return this.#local(`the agent process of "${deviceId}"`).agents.get(
      deviceId,
    )!;
  }

  /**
   * Kills `deviceId`'s agent at once, on any backend (a SIGKILL to the
   * process, or to its container), as a device that loses power; resolves
   * once it is gone. Its device is then offline.
   *
   * @throws {RangeError} for a device not in the stack.
   * @example
   * ```ts ignore
   * await stack.killAgent(stack.deviceIds[0]);
   * ```
   */
  async killAgent(deviceId: string): Promise<void> {
    this.#device(deviceId);
    await this.#parts.killAgent(deviceId);
  }

  #local(what: string): NonNullable<StackParts["local"]> {
    const local = this.#parts.local;
    if (local === undefined) {
      throw new StackBackendError(
        this.backend,
        `Cannot get ${what} of e2e stack "${this.namespace}": its backend "${this.backend}" runs nats-server and the agents in containers`,
      );
    }
    return local;
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
    return this.#parts.debugInfo();
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
    const backend = options.backend ??
      Deno.env.get(FLEET_E2E_BACKEND_ENV) ?? "local";
    if (!(STACK_BACKENDS as readonly string[]).includes(backend)) {
      throw new RangeError(
        `Cannot bring up an e2e stack on backend ${
          JSON.stringify(backend)
        }: expected ${STACK_BACKENDS.map((b) => `"${b}"`).join(", ")}${
          options.backend === undefined
            ? ` (from ${FLEET_E2E_BACKEND_ENV})`
            : ""
        }`,
      );
    }
    const auth = options.auth ?? Deno.env.get(FLEET_E2E_AUTH_ENV) ??
      "userpass";
    if (!(STACK_AUTHS as readonly string[]).includes(auth)) {
      throw new RangeError(
        `Cannot bring up an e2e stack with auth ${
          JSON.stringify(auth)
        }: expected ${STACK_AUTHS.map((a) => `"${a}"`).join(", ")}${
          options.auth === undefined ? ` (from ${FLEET_E2E_AUTH_ENV})` : ""
        }`,
      );
    }
    if (auth === "callout" && backend !== "local" && backend !== "podman") {
      throw new StackBackendError(
        backend as StackBackend,
        `Cannot bring up an e2e stack with auth "callout" on backend "${backend}": only the "local" and "podman" backends run the auth callout yet`,
      );
    }
    if (auth === "callout" && options.tls) {
      throw new TypeError(
        'Cannot bring up an e2e stack with auth "callout" and tls: true: the callout service has no TLS client settings yet, and the server\'s mutual TLS would refuse it',
      );
    }
    if (auth === "callout" && options.natsCluster !== undefined) {
      throw new TypeError(
        'Cannot bring up an e2e stack with auth "callout" and natsCluster: the stack\'s callout runs against a single nats-server yet',
      );
    }
    options = { ...options, auth: auth as StackAuth };
    checkNatsCluster(options, backend as StackBackend);
    const namespace = () => `e2e-${randomHex(4)}`;
    let parts!: StackParts;
    switch (backend as StackBackend) {
      case "local":
        parts = await bringUpLocal(namespace, options);
        break;
      case "podman": {
        // Loaded on demand: the manifests' schema library is large and
        // warns about a deprecated Node module on load.
        const { bringUpPodman } = await import("./_backend_podman.ts");
        parts = await bringUpPodman(namespace(), options);
        break;
      }
      case "k3d": {
        // Loaded on demand, as the podman backend, with client-node too.
        const { bringUpK3d } = await import("./_backend_k3d.ts");
        parts = await bringUpK3d(namespace(), options);
        break;
      }
    }
    const stack = new Stack(parts);
    if (stack.keep) stack.printDebugInfo();
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
      await this.#parts.resources.disposeAsync();
      if (this.keep) {
        this.#parts.release();
        console.error(
          `[e2e] ${FLEET_E2E_KEEP_ENV}=1: kept e2e stack "${this.namespace}"`,
        );
        this.printDebugInfo();
      }
    })();
    return this.#disposed;
  }
}
