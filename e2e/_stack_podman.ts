// The podman part of a stack brought up with `runtime: "podman"`: one
// isolated podman API service (own socket and storage), the workload image,
// and the containers the stack started for its devices, each carrying its
// device's label. Private to e2e/.
import {
  podmanAvailable,
  type PodmanRun,
  PodmanService,
  processAlive,
} from "../testing/mod.ts";
import { provideWorkloadImage } from "./_workload_cache.ts";
import { shellQuote } from "./_debug_info.ts";

/** The label key that says which device a container belongs to. */
export const DEVICE_LABEL_KEY = "harmony.fleet/device";

/** The `container_label` of `deviceId`'s agent: `harmony.fleet/device=<id>`. */
export function deviceLabel(deviceId: string): string {
  return `${DEVICE_LABEL_KEY}=${deviceId}`;
}

/** A container a stack started. */
export interface StackContainer {
  /** Its full id. */
  id: string;
  /** Its name, as given. */
  name: string;
  /** The device whose label it carries. */
  deviceId: string;
  /** The image it runs. */
  image: string;
}

/** Options of `Stack.startContainer()`. */
export interface StartContainerOptions {
  /** The container's name (unique in the stack: podman's rules). */
  name: string;
  /** The command (an argv; the image has busybox's `sh` and applets). */
  cmd: readonly string[];
  /** Environment variables. @default {{}} */
  env?: Record<string, string>;
}

/** Options of `Stack.stopContainer()`. */
export interface StopContainerOptions {
  /**
   * Seconds between SIGTERM and SIGKILL (`podman stop --time`).
   *
   * @default {0} (killed at once)
   */
  timeoutS?: number;
}

/**
 * Thrown when a stack cannot start or stop a container: the stack runs
 * without podman, or podman refused (the message quotes its error).
 *
 * @example
 * ```ts ignore
 * import { StackContainerError } from "@harmony/fleet/e2e";
 * try {
 *   await stack.startContainer(stack.deviceIds[0], { name: "web", cmd: ["true"] });
 * } catch (error) {
 *   if (error instanceof StackContainerError) console.error(error.container);
 * }
 * ```
 */
export class StackContainerError extends Error {
  /** The container's name (empty for `Stack.podman()`). */
  readonly container: string;

  /** Builds the error for `container`. */
  constructor(container: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "StackContainerError";
    this.container = container;
  }
}

/** What a failed podman check says to do. */
export function installPodmanAdvice(reason: string): string {
  return `${reason}; install podman, runc and busybox-static (Debian: apt-get install podman runc busybox-static), or bring the stack up with runtime: "disabled"`;
}

/** The podman service of a stack, its image and its containers. */
export class StackPodman {
  readonly #containers = new Map<string, StackContainer>();
  readonly #namespace: string;
  #image: Promise<string>;

  /** The service. */
  readonly service: PodmanService;

  private constructor(service: PodmanService, namespace: string) {
    this.service = service;
    this.#namespace = namespace;
    this.#image = Promise.reject(new Error("no workload image yet"));
    this.#image.catch(() => {});
  }

  /** Checks that podman can run here; throws an Error saying what to install. */
  static check(podman: string | undefined): void {
    const found = podmanAvailable({ podman });
    if (!found.ok) throw new Error(installPodmanAdvice(found.reason));
  }

  /** Starts the service. */
  static async start(
    namespace: string,
    options: { podman?: string; newSession?: boolean },
  ): Promise<StackPodman> {
    return new StackPodman(
      await PodmanService.start({
        podman: options.podman,
        newSession: options.newSession,
      }),
      namespace,
    );
  }

  /** Loads (or builds) the workload image; resolves with its reference. */
  provideImage(): Promise<string> {
    this.#image = provideWorkloadImage(this.service).then(({ image }) => image);
    return this.#image;
  }

  /** Whether the service's process is gone. */
  get exited(): boolean {
    return !processAlive(this.service.pid);
  }

  /** The containers started so far, in order. */
  get containers(): StackContainer[] {
    return [...this.#containers.values()];
  }

  /** `env CONTAINERS_CONF=… podman --root … …`: the podman CLI on this storage. */
  get cliPrefix(): string {
    const env = Object.entries(this.service.env).map(([key, value]) =>
      `${key}=${shellQuote(value)}`
    );
    return ["env", ...env, "podman", ...this.service.podmanArgs.map(shellQuote)]
      .join(" ");
  }

  /** Runs a podman command on the service's storage. */
  podman(
    args: readonly string[],
    options?: { check?: boolean; stdin?: Uint8Array },
  ): Promise<PodmanRun> {
    return this.service.podman(args, options);
  }

  /** Starts a labelled container for `deviceId`; see `Stack.startContainer()`. */
  async startContainer(
    deviceId: string,
    options: StartContainerOptions,
  ): Promise<StackContainer> {
    const { name } = options;
    const image = await this.#image;
    let id: string;
    try {
      id = await this.service.runContainer({
        name,
        image,
        cmd: options.cmd,
        env: options.env,
        labels: {
          [DEVICE_LABEL_KEY]: deviceId,
          "harmony.fleet/stack": this.#namespace,
        },
      });
    } catch (cause) {
      throw new StackContainerError(
        name,
        `Cannot start container "${name}" for device "${deviceId}": ${
          cause instanceof Error ? cause.message : String(cause)
        }`,
        { cause },
      );
    }
    const container = { id, name, deviceId, image };
    this.#containers.set(name, container);
    return container;
  }

  /** Stops a container (it stays, exited); see `Stack.stopContainer()`. */
  async stopContainer(
    name: string,
    options: StopContainerOptions = {},
  ): Promise<void> {
    const timeoutS = options.timeoutS ?? 0;
    if (!Number.isInteger(timeoutS) || timeoutS < 0) {
      throw new RangeError(
        `Cannot stop container "${name}" with timeoutS ${timeoutS}: expected an integer of 0 or more`,
      );
    }
    try {
      await this.service.podman(["stop", "--time", String(timeoutS), name]);
    } catch (cause) {
      throw new StackContainerError(
        name,
        `Cannot stop container "${name}": ${
          cause instanceof Error ? cause.message : String(cause)
        }`,
        { cause },
      );
    }
  }

  /** Removes every container the stack started (a teardown step). */
  async removeContainers(): Promise<void> {
    const names = [...this.#containers.keys()];
    if (names.length === 0) return;
    await this.service.podman([
      "rm",
      "--force",
      "--ignore",
      "--time",
      "0",
      ...names,
    ]);
  }
}
