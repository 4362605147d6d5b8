/**
 * A real podman API service (`podman system service`) on a socket of its
 * own, with storage of its own, owned as an `AsyncDisposable`.
 *
 * @module
 */
import { podmanAvailable } from "./podman_available.ts";
import { renderContainersConf, renderStorageConf } from "./_podman_config.ts";
import { type PodmanRun, redactEnv, runPodman } from "./_podman_cli.ts";
import { removeLeftovers } from "./_podman_teardown.ts";
import { findSetsid, NoSetsidError } from "./child_process.ts";
export {
  ignoreWithoutPodman,
  type IgnoreWithoutPodmanOptions,
  type PodmanAvailability,
  podmanAvailable,
  type PodmanAvailableOptions,
  REQUIRE_PODMAN_ENV,
} from "./podman_available.ts";
export type { PodmanRun } from "./_podman_cli.ts";

/** Options of {@linkcode PodmanService.start}. */
export interface PodmanServiceOptions {
  /** The podman binary. @default {"podman"} */
  podman?: string;
  /** How long to wait for `/_ping` to answer. @default {20_000} */
  readyTimeoutMs?: number;
  /** How long dispose waits after SIGTERM before SIGKILL. @default {5_000} */
  stopTimeoutMs?: number;
  /**
   * Start it in a session (and process group) of its own with `setsid`, so
   * a terminal's Ctrl-C does not reach it; for a service meant to outlive
   * this process (see {@linkcode PodmanService.unref}).
   *
   * @default {false}
   */
  newSession?: boolean;
}

/** Options of {@linkcode PodmanService.podman}. */
export interface PodmanCommandOptions {
  /** Throw a {@linkcode PodmanServiceError} on a non-zero exit. @default {true} */
  check?: boolean;
  /** Bytes for the command's stdin. @default {none: stdin is empty} */
  stdin?: Uint8Array;
}

/** Options of {@linkcode PodmanService.runContainer}. */
export interface RunContainerOptions {
  /** The container's name. */
  name: string;
  /** The image, e.g. from `buildWorkloadImage`. */
  image: string;
  /** The command (argv). */
  cmd: readonly string[];
  /** Environment variables. @default {{}} */
  env?: Record<string, string>;
  /** Labels, e.g. `{ "harmony.fleet/device": "d1" }`. @default {{}} */
  labels?: Record<string, string>;
}

/**
 * Thrown when the service cannot be started or stopped, or a `podman`
 * command run for it fails. The message carries the tail of its output.
 *
 * @example
 * ```ts ignore
 * import { PodmanService, PodmanServiceError } from "@harmony/fleet/testing";
 * try {
 *   await PodmanService.start({ podman: "/nonexistent/podman" });
 * } catch (error) {
 *   if (error instanceof PodmanServiceError) console.error(error.message);
 * }
 * ```
 */
export class PodmanServiceError extends Error {
  /** Builds the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PodmanServiceError";
  }
}

const POLL_MS = 10;

/**
 * A running `podman system service --time=0` on `<dir>/podman.sock`, with
 * its own `--root`, `--runroot`, `--tmpdir` and `CONTAINERS_CONF` in a temp
 * dir, so parallel services, parallel test files and the user's own
 * containers never collide. `start` resolves once `/_ping` answers.
 * Disposing stops the service, removes every container in its storage,
 * ends the processes podman left (exec sessions keep a conmon for five
 * minutes), unmounts what is still mounted under its dir and removes the
 * dir; it is idempotent.
 *
 * @example
 * ```ts ignore
 * import { buildWorkloadImage, PodmanService } from "@harmony/fleet/testing";
 * await using service = await PodmanService.start();
 * const image = await buildWorkloadImage(service);
 * await service.runContainer({ name: "web", image, cmd: ["sh", "-c", "echo hi; sleep 600"] });
 * const client = Deno.createHttpClient({ proxy: { transport: "unix", path: service.socketPath } });
 * ```
 */
export class PodmanService implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #podman: string;
  readonly #stopTimeoutMs: number;
  #disposed: Promise<void> | undefined;

  /** The temp dir holding everything of this service. */
  readonly dir: string;
  /** The unix socket of the API. */
  readonly socketPath: string;
  /** `--root …, --runroot …, --tmpdir …`: the global flags selecting its storage. */
  readonly podmanArgs: readonly string[];
  /** `CONTAINERS_CONF` and `CONTAINERS_STORAGE_CONF` for podman commands on its storage. */
  readonly env: Readonly<Record<string, string>>;
  /** The service's log file. */
  readonly logPath: string;
  #startMs = 0;

  private constructor(
    child: Deno.ChildProcess,
    fields: {
      podman: string;
      dir: string;
      podmanArgs: string[];
      env: Record<string, string>;
    },
    stopTimeoutMs: number,
  ) {
    this.#child = child;
    this.#podman = fields.podman;
    this.#stopTimeoutMs = stopTimeoutMs;
    this.dir = fields.dir;
    this.socketPath = `${fields.dir}/podman.sock`;
    this.logPath = `${fields.dir}/service.log`;
    this.podmanArgs = Object.freeze(fields.podmanArgs);
    this.env = Object.freeze(fields.env);
  }

  /** How long `start` took, in milliseconds (the baseline for the bench). */
  get startMs(): number {
    return this.#startMs;
  }

  /** The service's process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /**
   * Lets this Deno process exit while the service keeps running (a kept
   * stack); dispose still stops it.
   */
  unref(): void {
    this.#child.unref();
  }

  /** Starts the service and waits until it answers; see the class docs. */
  static async start(
    options: PodmanServiceOptions = {},
  ): Promise<PodmanService> {
    const started = performance.now();
    const podman = options.podman ?? "podman";
    const found = podmanAvailable({ podman });
    if (!found.ok) {
      throw new PodmanServiceError(
        `Cannot start a podman API service: ${found.reason}`,
      );
    }
    const setsid = options.newSession ? findSetsid() : undefined;
    if (options.newSession && setsid === undefined) throw new NoSetsidError();
    const dir = await Deno.makeTempDir({ prefix: "fleet-podman-" });
    const dirs = {
      root: `${dir}/root`,
      runroot: `${dir}/runroot`,
      tmp: `${dir}/tmp`,
    };
    const env = {
      CONTAINERS_CONF: `${dir}/containers.conf`,
      CONTAINERS_STORAGE_CONF: `${dir}/storage.conf`,
      TMPDIR: dirs.tmp,
    };
    const podmanArgs = [
      "--root",
      dirs.root,
      "--runroot",
      dirs.runroot,
      "--tmpdir",
      dirs.tmp,
    ];
    await Deno.mkdir(dirs.tmp);
    await Deno.writeTextFile(
      env.CONTAINERS_CONF,
      renderContainersConf(dirs, found.runc),
    );
    await Deno.writeTextFile(
      env.CONTAINERS_STORAGE_CONF,
      renderStorageConf(dirs),
    );
    const socketPath = `${dir}/podman.sock`;
    const shell = [
      "/bin/sh",
      "-c",
      `log="$1"; shift; exec "$@" >"$log" 2>&1`,
      "sh",
      `${dir}/service.log`,
      podman,
      ...podmanArgs,
      "system",
      "service",
      "--time=0",
      `unix://${socketPath}`,
    ];
    const argv = setsid === undefined ? shell : [setsid, ...shell];
    const child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      env,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const service = new PodmanService(child, {
      podman,
      dir,
      podmanArgs,
      env,
    }, options.stopTimeoutMs ?? 5_000);
    try {
      await waitForPing(child, socketPath, options.readyTimeoutMs ?? 20_000);
    } catch (error) {
      const log = await readTail(service.logPath);
      await service[Symbol.asyncDispose]();
      throw new PodmanServiceError(
        `Cannot start a podman API service on "${socketPath}": ${
          error instanceof Error ? error.message : String(error)
        }${log ? `; last lines of its log:\n${log}` : ""}`,
        { cause: error },
      );
    }
    service.#startMs = performance.now() - started;
    return service;
  }

  /**
   * Runs `podman <args>` on this service's storage (as the user would, with
   * {@linkcode podmanArgs} and {@linkcode env}). With `check` (the default)
   * a non-zero exit throws a {@linkcode PodmanServiceError} carrying its
   * stderr; the values of `--env` arguments are not quoted.
   */
  async podman(
    args: readonly string[],
    options: PodmanCommandOptions = {},
  ): Promise<PodmanRun> {
    const run = await runPodman(this.#podman, [...this.podmanArgs, ...args], {
      env: this.env,
      stdin: options.stdin,
    });
    if ((options.check ?? true) && run.code !== 0) {
      const stderr = new TextDecoder().decode(run.stderr).trim();
      throw new PodmanServiceError(
        `Cannot run "podman ${
          redactEnv(args).join(" ")
        }": it exited with code ${run.code}: ${stderr.slice(-2000)}`,
      );
    }
    return run;
  }

  /**
   * Starts a detached container (`podman run -d`) in this service's storage
   * and resolves with its id. Dispose removes it.
   */
  async runContainer(options: RunContainerOptions): Promise<string> {
    const args = ["run", "-d", "--pull=never", "--name", options.name];
    for (const [key, value] of Object.entries(options.labels ?? {})) {
      args.push("--label", `${key}=${value}`);
    }
    for (const [key, value] of Object.entries(options.env ?? {})) {
      args.push("--env", `${key}=${value}`);
    }
    args.push(options.image, ...options.cmd);
    const { stdout } = await this.podman(args);
    return new TextDecoder().decode(stdout).trim();
  }

  /** Stops the service and removes everything it made; idempotent. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#disposed ??= (async () => {
      await stopChild(this.#child, this.#stopTimeoutMs);
      const problems = await removeLeftovers(
        this.dir,
        (args) => this.podman(args, { check: false }),
      );
      if (problems.length > 0) {
        throw new PodmanServiceError(
          `Cannot fully remove the podman service in "${this.dir}": ${
            problems.join("; ")
          }`,
        );
      }
    })();
    return this.#disposed;
  }
}

async function waitForPing(
  child: Deno.ChildProcess,
  socketPath: string,
  timeoutMs: number,
): Promise<void> {
  let exit: Deno.CommandStatus | undefined;
  child.status.then((status) => exit = status);
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (true) {
    try {
      using client = Deno.createHttpClient({
        proxy: { transport: "unix", path: socketPath },
      });
      const response = await fetch("http://d/_ping", { client });
      const text = await response.text();
      if (response.ok && text === "OK") return;
      last = `/_ping answered ${response.status} ${JSON.stringify(text)}`;
    } catch (error) {
      last = error instanceof Error ? error.message : error;
    }
    if (exit) {
      throw new Error(
        `podman exited with code ${exit.code} before it answered /_ping`,
      );
    }
    if (Date.now() > deadline) {
      throw new Error(
        `/_ping did not answer within ${timeoutMs} ms (last: ${last})`,
      );
    }
    await pause(child, POLL_MS);
  }
}

/** Waits `ms`, or less if the child exits first. */
async function pause(child: Deno.ChildProcess, ms: number): Promise<void> {
  let id: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([
    new Promise((resolve) => id = setTimeout(resolve, ms)),
    child.status,
  ]);
  clearTimeout(id);
}

async function stopChild(
  child: Deno.ChildProcess,
  timeoutMs: number,
): Promise<void> {
  signal(child, "SIGTERM");
  let id: ReturnType<typeof setTimeout> | undefined;
  const timedOut = await Promise.race([
    child.status.then(() => false),
    new Promise<boolean>((resolve) =>
      id = setTimeout(() => resolve(true), timeoutMs)
    ),
  ]);
  clearTimeout(id);
  if (timedOut) signal(child, "SIGKILL");
  await child.status;
}

function signal(child: Deno.ChildProcess, name: Deno.Signal): void {
  try {
    child.kill(name);
  } catch {
    // Already exited.
  }
}

/** `args` with the value of each `--env K=V` replaced by `***`. */

async function readTail(path: string, lines = 20): Promise<string> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}
