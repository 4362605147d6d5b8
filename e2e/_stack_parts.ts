/**
 * What every backend of `Stack` hands over once its stack is up, and the
 * bring-up step runner they share. Private to `e2e/`.
 */
import type { NatsConnection } from "../nats/mod.ts";
import type { AgentProcess } from "../testing/agent_process.ts";
import type { Credentials, DeviceUser } from "../testing/nats_server_config.ts";
import type { NatsServerProcess } from "../testing/nats_server_process.ts";
import type { NatsCluster } from "../testing/nats_cluster.ts";
import type { StackPodman } from "./_stack_podman.ts";
import type { StackTls } from "./_stack_tls.ts";
import type { StackAuth, StackCallout } from "./_stack_callout.ts";

/** Where a stack runs. */
export type StackBackend = "local" | "podman" | "k3d";

/** The backends, in the order `StackBackend` lists them. */
export const STACK_BACKENDS: readonly StackBackend[] = [
  "local",
  "podman",
  "k3d",
];

/** A stack that is up, as its backend made it. */
export interface StackParts {
  backend: StackBackend;
  /** How devices and the operator log in. @default {"userpass"} */
  auth?: StackAuth;
  /** The issuer, tokens and callout process (`auth: "callout"`). */
  callout?: StackCallout;
  namespace: string;
  /** The stack's temp dir. */
  dir: string;
  keep: boolean;
  natsUrl: string;
  /**
   * Every NATS URL, one per server of a cluster.
   *
   * @default {[natsUrl]}
   */
  natsUrls?: string[];
  operatorClient: NatsConnection;
  admin: Credentials;
  /** Each device's NATS credentials, in device order. */
  devices: ReadonlyMap<string, Credentials>;
  tls?: StackTls;
  /** The podman service for workload containers (`runtime: "podman"`). */
  podman?: StackPodman;
  /** The processes of a `local` stack. */
  local?: {
    /** The nats-server; `undefined` when the stack runs a cluster. */
    natsServer?: NatsServerProcess;
    /** The nats-server cluster of `natsCluster`. */
    natsCluster?: NatsCluster;
    agents: ReadonlyMap<string, AgentProcess>;
  };
  /** Everything to tear down, in reverse order of setup. */
  resources: AsyncDisposableStack;
  /** Kills `deviceId`'s agent at once (SIGKILL or its equivalent). */
  killAgent(deviceId: string): Promise<void>;
  /** The backend's lines of the debug text. */
  debugInfo(): string;
  /** Lets what a kept stack runs outlive this process. */
  release(): void;
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

/** Runs one named bring-up step; see {@linkcode stepRunner}. */
export type Step = <T>(name: string, fn: () => Promise<T>) => Promise<T>;

/**
 * A step runner for `namespace`: checks `signal` before each step and
 * wraps a failure in {@linkcode StackBringUpError} naming the step, after
 * calling `onFailure` (e.g. to say what a kept stack leaves running).
 */
export function stepRunner(
  namespace: string,
  options: { signal?: AbortSignal; onFailure?: (step: string) => void },
): Step {
  return async (name, fn) => {
    try {
      options.signal?.throwIfAborted();
      return await fn();
    } catch (cause) {
      options.onFailure?.(name);
      throw new StackBringUpError(namespace, name, { cause });
    }
  };
}

/**
 * Like `Promise.all`, but settles only once every promise has settled, so
 * nothing is still running when the caller starts tearing down.
 */
export async function allOrFirstError<T>(promises: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(promises);
  const failed = results.find((result) => result.status === "rejected");
  if (failed) throw failed.reason;
  return results.map((result) => (result as PromiseFulfilledResult<T>).value);
}

/** `bytes` random bytes in hex. */
export function randomHex(bytes: number): string {
  return [...crypto.getRandomValues(new Uint8Array(bytes))]
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("");
}

/** The device ids of a stack: `vm-device-00-<namespace>`, … */
export function stackDeviceIds(namespace: string, count: number): string[] {
  return Array.from(
    { length: count },
    (_, index) => `vm-device-${String(index).padStart(2, "0")}-${namespace}`,
  );
}

/**
 * A stack's NATS users: the admin and one user per device
 * (`device-<id>`), each with a fresh random password.
 */
export function stackCredentials(
  namespace: string,
  count: number,
): { admin: Credentials; devices: DeviceUser[] } {
  return {
    admin: { user: "admin", password: randomHex(16) },
    devices: stackDeviceIds(namespace, count).map((deviceId) => ({
      deviceId,
      user: `device-${deviceId}`,
      password: randomHex(16),
    })),
  };
}
