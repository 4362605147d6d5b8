/**
 * A nats-server process for this folder's integration tests. Unlike the e2e
 * harness's `NatsServerProcess` it takes raw config lines (TLS) and can be
 * killed with SIGKILL and restarted on the same port. The binary is found by
 * the harness's `findNatsServer` (env `NATS_SERVER_BIN`, `PATH`, the cache,
 * else installed).
 */
import { findNatsServer } from "../e2e/nats_server_binary.ts";

let binary: Promise<string> | undefined;

/** Options of {@linkcode TestServer.start}. */
export interface TestServerOptions {
  /** Lines added to the generated config (auth, tls, …). @default {""} */
  config?: string;
  /** Prepares the server's directory (its cwd) before it starts. @default {undefined} */
  prepare?: (dir: string) => Promise<void>;
}

/** A nats-server on a free loopback port, with its own temp dir. */
export class TestServer implements AsyncDisposable {
  /** The server's directory (config, log, extra files). */
  readonly dir: string;
  /** The TCP port, kept across {@linkcode restart}. */
  readonly port: number;
  #child: Deno.ChildProcess | undefined;
  #disposed = false;

  private constructor(dir: string, port: number) {
    this.dir = dir;
    this.port = port;
  }

  /** `nats://127.0.0.1:<port>`. */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Writes the config and starts the server; resolves once it accepts connections. */
  static async start(options: TestServerOptions = {}): Promise<TestServer> {
    const dir = await Deno.makeTempDir({ prefix: "nats-test-" });
    const server = new TestServer(dir, freePort());
    try {
      await options.prepare?.(dir);
      await Deno.writeTextFile(
        `${dir}/nats.conf`,
        [
          `listen: "127.0.0.1:${server.port}"`,
          `log_file: "${dir}/nats.log"`,
          options.config ?? "",
        ].join("\n"),
      );
      await server.restart();
      return server;
    } catch (err) {
      await server[Symbol.asyncDispose]();
      throw err;
    }
  }

  /** Starts the server again (same port, same config) after {@linkcode kill}. */
  async restart(): Promise<void> {
    if (this.#child !== undefined) throw new Error("nats-server is running");
    binary ??= findNatsServer();
    const bin = await binary;
    const child = new Deno.Command(bin, {
      args: ["-c", `${this.dir}/nats.conf`],
      cwd: this.dir,
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    this.#child = child;
    let exited = false;
    child.status.then(() => exited = true, () => exited = true);
    await waitFor(async () => {
      if (exited) {
        const log = await Deno.readTextFile(`${this.dir}/nats.log`).catch(() =>
          ""
        );
        throw new Error(`nats-server exited at start:\n${log}`);
      }
      return await accepts(this.port);
    }, { timeoutMs: 10_000, what: `nats-server on port ${this.port}` });
  }

  /** Kills the server with SIGKILL and waits until it is gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    this.#child = undefined;
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await child.status;
  }

  /** Kills the server and removes its directory; idempotent. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.kill();
    if (this.#disposed) return;
    this.#disposed = true;
    await Deno.remove(this.dir, { recursive: true }).catch(() => {});
  }
}

/** Options of {@linkcode waitFor}. */
export interface WaitForOptions {
  /** Give up after this long. @default {5000} */
  timeoutMs?: number;
  /** Pause between checks. @default {20} */
  intervalMs?: number;
  /** What is waited for, for the timeout message. @default {"condition"} */
  what?: string;
}

/** Checks `cond` until it returns true; throws after the deadline. */
export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  options: WaitForOptions = {},
): Promise<void> {
  const { timeoutMs = 5_000, intervalMs = 20, what = "condition" } = options;
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  listener.close();
  return port;
}

async function accepts(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}
