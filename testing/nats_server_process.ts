/**
 * A nats-server child process with a generated config, owned as an
 * `AsyncDisposable`.
 *
 * @module
 */
import { findNatsServer } from "./nats_server_binary.ts";
import {
  type NatsServerConfigOptions,
  renderNatsServerConfig,
} from "./nats_server_config.ts";
import { pickFreePort } from "./free_port.ts";
import {
  isExecutableFile,
  readTail,
  signalChild,
  spawnLogged,
  stopChild,
  timer,
} from "./child_process.ts";

/** Options of {@linkcode NatsServerProcess.start}. */
export interface NatsServerProcessOptions {
  /**
   * Directory for the config, the log and (by default) the JetStream store.
   * When omitted, a new temp dir is made for the server and removed when it
   * is disposed.
   *
   * @default {a new temp dir, owned by the server}
   */
  dir?: string;
  /**
   * The config to render, minus the port; `storeDir` defaults to
   * `<dir>/jetstream`. The default has no users: anyone may connect.
   *
   * @default {{}}
   */
  config?: Omit<NatsServerConfigOptions, "port" | "storeDir"> & {
    storeDir?: string;
  };
  /**
   * The port to listen on. When omitted a free port is picked, and picked
   * again if another process takes it first. Give the port of a server that
   * was killed to start it again where its clients will reconnect.
   *
   * @default {a free port}
   */
  port?: number;
  /**
   * The nats-server binary.
   *
   * @default {await findNatsServer()}
   */
  binary?: string;
  /**
   * How long to wait for its log to say "Server is ready".
   *
   * @default {10_000}
   */
  readyTimeoutMs?: number;
  /**
   * How long dispose waits after SIGTERM before sending SIGKILL.
   *
   * @default {5_000}
   */
  stopTimeoutMs?: number;
  /**
   * Start it in a session of its own (`setsid`), so a terminal's Ctrl-C,
   * sent to the whole foreground process group, does not reach it; for
   * servers meant to outlive this process (kept stacks).
   *
   * @default {false}
   */
  newSession?: boolean;
}

/**
 * Thrown when nats-server cannot be started or does not become ready. The
 * message carries the tail of its log.
 *
 * @example
 * ```ts ignore
 * import { NatsServerProcess, NatsServerStartError } from "@harmony/fleet/e2e";
 * try {
 *   await NatsServerProcess.start({ dir, config, binary: "/nonexistent/nats-server" });
 * } catch (error) {
 *   if (error instanceof NatsServerStartError) console.error(error.logTail);
 * }
 * ```
 */
export class NatsServerStartError extends Error {
  /** The last lines nats-server wrote, if it ran at all. */
  readonly logTail: string;
  /** Whether it failed because its port was taken. */
  readonly addressInUse: boolean;

  /** Builds the error; `logTail` is appended to the message when not empty. */
  constructor(message: string, logTail: string, options?: ErrorOptions) {
    super(
      logTail ? `${message}; last lines of its log:\n${logTail}` : message,
      options,
    );
    this.name = "NatsServerStartError";
    this.logTail = logTail;
    this.addressInUse = /address already in use/i.test(logTail);
  }
}

const READY_LINE = "Server is ready";
const PORT_ATTEMPTS = 3;
const READY_POLL_MS = 5;

/**
 * A running nats-server. `start` writes the config into `dir` (a temp dir of
 * its own when none is given), spawns the server with its output going to
 * `<dir>/nats-server.log`, and resolves once the log says it is ready.
 * `kill()` simulates a crash. Disposing sends SIGTERM, then SIGKILL after a
 * deadline, waits for the process to exit and removes the dir if the server
 * made it; it is idempotent.
 *
 * @example
 * ```ts ignore
 * import { NatsServerProcess } from "@harmony/fleet/e2e";
 * await using server = await NatsServerProcess.start({
 *   config: { admin: { user: "admin", password: "s3cret" } },
 * });
 * console.log(server.url); // nats://127.0.0.1:41234
 * // A crash, then the same server back on the same port:
 * await server.kill();
 * await using again = await NatsServerProcess.start({
 *   config: { admin: { user: "admin", password: "s3cret" } },
 *   port: server.port,
 * });
 * ```
 */
export class NatsServerProcess implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #stopTimeoutMs: number;
  readonly #ownsDir: boolean;
  #disposed: Promise<void> | undefined;
  #exit: Deno.CommandStatus | undefined;

  /** The directory of its config and log (and, by default, JetStream store). */
  readonly dir: string;
  /** The port clients connect to. */
  readonly port: number;
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  /** The file nats-server logs to. */
  readonly logPath: string;
  /** The config file it runs with. */
  readonly configPath: string;
  /** Resolves with the exit status once the process has exited. */
  readonly status: Promise<Deno.CommandStatus>;

  private constructor(
    child: Deno.ChildProcess,
    fields: {
      dir: string;
      ownsDir: boolean;
      port: number;
      host: string;
      logPath: string;
      configPath: string;
    },
    stopTimeoutMs: number,
  ) {
    this.#child = child;
    this.#stopTimeoutMs = stopTimeoutMs;
    this.#ownsDir = fields.ownsDir;
    this.dir = fields.dir;
    this.port = fields.port;
    this.url = `nats://${fields.host}:${fields.port}`;
    this.logPath = fields.logPath;
    this.configPath = fields.configPath;
    this.status = child.status.then((status) => this.#exit = status);
  }

  /** Its exit status, or `undefined` while it runs. */
  get exitStatus(): Deno.CommandStatus | undefined {
    return this.#exit;
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /**
   * Lets this Deno process exit while the server keeps running (used to
   * keep a stack for debugging); dispose still stops it.
   */
  unref(): void {
    this.#child.unref();
  }

  /** Starts nats-server and waits until it is ready; see the class docs. */
  static async start(
    options: NatsServerProcessOptions = {},
  ): Promise<NatsServerProcess> {
    const binary = options.binary ?? await findNatsServer();
    if (!(await isExecutableFile(binary))) {
      throw new NatsServerStartError(
        `Cannot start nats-server "${binary}": it is not an executable file`,
        "",
      );
    }
    const dir = options.dir ??
      await Deno.makeTempDir({ prefix: "fleet-nats-server-" });
    const ownsDir = options.dir === undefined;
    const attempts = options.port === undefined ? PORT_ATTEMPTS : 1;
    try {
      for (let attempt = 1;; attempt++) {
        const port = options.port ?? pickFreePort(options.config?.host);
        try {
          return await NatsServerProcess.#startOnce(binary, port, {
            ...options,
            dir,
            ownsDir,
          });
        } catch (error) {
          const retry = error instanceof NatsServerStartError &&
            error.addressInUse && attempt < attempts;
          if (!retry) throw error;
        }
      }
    } catch (error) {
      if (ownsDir) await Deno.remove(dir, { recursive: true });
      throw error;
    }
  }

  static async #startOnce(
    binary: string,
    port: number,
    options: NatsServerProcessOptions & { dir: string; ownsDir: boolean },
  ): Promise<NatsServerProcess> {
    const { dir, ownsDir, config = {} } = options;
    const host = config.host ?? "127.0.0.1";
    const configPath = `${dir}/nats-server.conf`;
    const logPath = `${dir}/nats-server.log`;
    await Deno.writeTextFile(
      configPath,
      renderNatsServerConfig({
        ...config,
        storeDir: config.storeDir ?? `${dir}/jetstream`,
        port,
      }),
    );
    // An earlier server's log would say "ready" before this one is: the
    // shell truncates the log only once it runs.
    await Deno.remove(logPath).catch(() => {});
    let child: Deno.ChildProcess;
    try {
      child = spawnLogged(binary, ["-c", configPath], {
        logPath,
        newSession: options.newSession,
      });
    } catch (cause) {
      throw new NatsServerStartError(
        `Cannot start nats-server "${binary}": ${errorText(cause)}`,
        "",
        { cause },
      );
    }
    const stopTimeoutMs = options.stopTimeoutMs ?? 5_000;
    const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
    const outcome = await waitUntilReady(child, logPath, readyTimeoutMs);
    if (outcome === "ready") {
      return new NatsServerProcess(
        child,
        { dir, ownsDir, port, host, logPath, configPath },
        stopTimeoutMs,
      );
    }
    await stopChild(child, stopTimeoutMs);
    const what = outcome === "timeout"
      ? `was not ready within ${readyTimeoutMs} ms`
      : `exited with code ${outcome.code}${
        outcome.signal ? ` (${outcome.signal})` : ""
      } before it was ready`;
    throw new NatsServerStartError(
      `nats-server "${binary}" on port ${port} ${what} (log: "${logPath}")`,
      await readTail(logPath),
    );
  }

  /**
   * Kills the server at once (SIGKILL), as a crash would, and waits for it
   * to exit. Its dir is kept until dispose; start a new server with this
   * one's `port` to bring it back for the clients that reconnect.
   */
  async kill(): Promise<Deno.CommandStatus> {
    signalChild(this.#child, "SIGKILL");
    return await this.status;
  }

  /**
   * Stops the server (SIGTERM, then SIGKILL after a deadline) and removes
   * its dir if it made it; idempotent.
   */
  [Symbol.asyncDispose](): Promise<void> {
    this.#disposed ??= (async () => {
      await stopChild(this.#child, this.#stopTimeoutMs);
      if (this.#ownsDir) await Deno.remove(this.dir, { recursive: true });
    })();
    return this.#disposed;
  }
}

/** Polls the log for the ready line until it appears, the process exits or time runs out. */
async function waitUntilReady(
  child: Deno.ChildProcess,
  logPath: string,
  timeoutMs: number,
): Promise<"ready" | "timeout" | Deno.CommandStatus> {
  let exit: Deno.CommandStatus | undefined;
  child.status.then((status) => exit = status);
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const text = await Deno.readTextFile(logPath).catch(() => "");
    if (text.includes(READY_LINE)) return "ready";
    if (exit) return exit;
    if (Date.now() > deadline) return "timeout";
    const pause = timer(READY_POLL_MS, undefined);
    await Promise.race([pause.promise, child.status]);
    pause.cancel();
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
