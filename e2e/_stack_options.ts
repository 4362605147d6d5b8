/**
 * The options of `Stack.bringUp()`. Private to `e2e/` (re-exported by
 * `stack.ts`).
 */
import type { AgentExecOptions } from "../testing/agent_process.ts";
import type { StackBackend } from "./_stack_parts.ts";
import type { StackAuth } from "./_stack_callout.ts";

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
   * `"local"`: a nats-server process and agent processes. `"podman"`: the
   * stack's manifests under `podman kube play`. `"k3d"`: the manifests in
   * a fresh namespace of the k3d cluster `fleet-e2e` (created when
   * missing), or of the kubeconfig's current cluster with `images`.
   *
   * @default {"local"}
   */
  backend?: StackBackend;
  /**
   * Backend `"k3d"`: the agent and nats-server images by registry
   * reference, pulled by the cluster (`imagePullPolicy: IfNotPresent`), so
   * any cluster of the kubeconfig's current context works: no k3d, no
   * local build, no import. Without it the local images are built and
   * imported into k3d cluster `fleet-e2e` (`imagePullPolicy: Never`).
   *
   * @default {undefined (local images, sideloaded)}
   */
  images?: { agent: string; nats: string };
  /**
   * Backend `"local"` only: a cluster of this many nats-servers (2 to 9; JetStream
   * clustered, each node with its own store, routes on loopback, the same
   * users and TLS as the single server) instead of one; agents and
   * {@linkcode Stack.operatorClient} get every node's URL, and
   * {@linkcode Stack.natsCluster} kills and restarts nodes. The operator
   * connection then reconnects for ever, 250 ms apart, and the device
   * registry has 3 replicas (with 3 nodes or more).
   *
   * @default {undefined (one nats-server)}
   */
  natsCluster?: number;
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
   * How long each agent may take to answer its first ping (on `k3d`,
   * also how long the Deployments may take to be available).
   *
   * @default {20_000; 120_000 on k3d}
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
   * How devices and the operator log in. `"userpass"`: static users, a
   * password per device. `"callout"` (backend `"local"` only; not with
   * `tls`): as in production, through the auth callout: a mock OIDC issuer
   * in this process, the callout service as a process, nats-server with
   * `auth_callout`; each agent gets a token file (`token_file`) minted for
   * `device-<id>`, {@linkcode Stack.operatorClient} an operator token; the
   * callout issues the permissions of `contracts/permissions.ts`. Tokens
   * last an hour.
   *
   * @default {Deno.env.get("FLEET_E2E_AUTH") ?? "userpass"}
   */
  auth?: StackAuth;
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
   * Each agent's `[agent] labels` (`local` backend), by device index (0,
   * 1, …) and id: sent in its heartbeats, listed by `client.devices()`.
   *
   * @default {undefined (no labels)}
   */
  deviceLabels?: (
    index: number,
    deviceId: string,
  ) => Readonly<Record<string, string>> | undefined;
  /**
   * The device registry's replicas (the `FLEET_DEVICES` stream, created at
   * bring-up by the `local` backend): 1, 3 or 5; more than 1 needs a
   * JetStream cluster of at least that many servers.
   *
   * @default {3 with natsCluster ≥ 3, else 1}
   */
  registryReplicas?: number;
  /**
   * Aborts the bring-up (e.g. on Ctrl-C): what was started is torn down and
   * `bringUp` throws {@linkcode StackBringUpError} naming the step it was
   * at, with the signal's reason as the cause's cause.
   *
   * @default {never}
   */
  signal?: AbortSignal;
}

/** Environment variable naming the default backend of `Stack.bringUp()`. */
export const FLEET_E2E_BACKEND_ENV = "FLEET_E2E_BACKEND";

/** Environment variable naming the default `auth` of `Stack.bringUp()`. */
export const FLEET_E2E_AUTH_ENV = "FLEET_E2E_AUTH";
