// Test support for the agent's integration tests: a real nats-server
// process with user/password auth, the real agent process, and waiting for
// a condition with a deadline. Not part of the public API.
import { join } from "node:path";

/** An account on the test nats-server. */
export interface TestUser {
  user: string;
  password: string;
  /** Subjects the user may subscribe to; all when absent. */
  subscribe?: string[];
  /** Subjects the user may publish to; all when absent. */
  publish?: string[];
}

/** Where the nats-server binary is: `NATS_SERVER_BIN`, else `nats-server` on PATH. */
export function natsServerBinary(): string {
  return Deno.env.get("NATS_SERVER_BIN") ?? "nats-server";
}

/** Resolves `condition()` once it returns a value other than undefined, or throws after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  condition: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await condition();
    if (value !== undefined) return value;
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A free TCP port on 127.0.0.1 (closed again, so a server can take it). */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Collects a child's stderr lines while it runs. */
class LineCollector {
  readonly lines: string[] = [];
  readonly done: Promise<void>;

  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = (async () => {
      let rest = "";
      for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
        const parts = (rest + chunk).split("\n");
        rest = parts.pop()!;
        this.lines.push(...parts);
      }
      if (rest) this.lines.push(rest);
    })();
  }
}

/** A nats-server process on a random port with the given users. */
export class NatsServerProcess implements AsyncDisposable {
  readonly url: string;
  readonly port: number;
  #child: Deno.ChildProcess;
  #stderr: LineCollector;
  #dir: string;
  #disposed?: Promise<void>;

  private constructor(
    child: Deno.ChildProcess,
    stderr: LineCollector,
    dir: string,
    port: number,
  ) {
    this.#child = child;
    this.#stderr = stderr;
    this.#dir = dir;
    this.port = port;
    this.url = `nats://127.0.0.1:${port}`;
  }

  /** Starts the server and waits until it accepts clients. */
  static async start(
    users: TestUser[],
    options: { port?: number } = {},
  ): Promise<NatsServerProcess> {
    const dir = await Deno.makeTempDir({ prefix: "agent-nats-" });
    const port = options.port ?? freePort();
    const config = join(dir, "nats.conf");
    await Deno.writeTextFile(config, renderConfig(port, users));
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(natsServerBinary(), {
        args: ["-c", config],
        stdin: "null",
        stdout: "null",
        stderr: "piped",
      }).spawn();
    } catch (error) {
      await Deno.remove(dir, { recursive: true });
      throw new Error(
        `Cannot start nats-server "${natsServerBinary()}"; set NATS_SERVER_BIN to a nats-server >= 2.10 binary`,
        { cause: error },
      );
    }
    const server = new NatsServerProcess(
      child,
      new LineCollector(child.stderr),
      dir,
      port,
    );
    try {
      await waitFor(
        "nats-server to be ready",
        () =>
          server.#stderr.lines.some((line) => line.includes("Server is ready"))
            ? true
            : undefined,
      );
    } catch (error) {
      await server[Symbol.asyncDispose]();
      throw error;
    }
    return server;
  }

  /** Stops the server and removes its files. Idempotent. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#disposed ??= (async () => {
      try {
        this.#child.kill("SIGTERM");
      } catch {
        // already exited
      }
      await this.#child.status;
      await this.#stderr.done;
      await Deno.remove(this.#dir, { recursive: true });
    })();
    return this.#disposed;
  }
}

function renderConfig(port: number, users: TestUser[]): string {
  const list = users.map((u) => {
    const permissions = u.subscribe || u.publish
      ? `, permissions: { subscribe: ${
        JSON.stringify(u.subscribe ?? [])
      }, publish: ${JSON.stringify(u.publish ?? [])}, allow_responses: true }`
      : "";
    return `    { user: ${JSON.stringify(u.user)}, password: ${
      JSON.stringify(u.password)
    }${permissions} }`;
  });
  return `listen: "127.0.0.1:${port}"
authorization {
  users: [
${list.join("\n")}
  ]
}
`;
}

/** One JSON log line of the agent. */
export type LogLine = Record<string, unknown> & { event: string };

/** The real agent, `deno run -A agent/main.ts`, with stderr collected. */
export class AgentProcess implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #stderr: LineCollector;
  #stdout: Promise<string>;
  #disposed?: Promise<void>;

  constructor(args: string[], options: { env?: Record<string, string> } = {}) {
    this.#child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./main.ts", import.meta.url).pathname,
        ...args,
      ],
      env: options.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#stderr = new LineCollector(this.#child.stderr);
    this.#stdout = new Response(this.#child.stdout).text();
  }

  /** Starts the agent with a config file written from `toml` into `dir`. */
  static async withConfig(
    dir: string,
    toml: string,
    options: { env?: Record<string, string> } = {},
  ): Promise<AgentProcess> {
    const path = join(dir, `agent-${crypto.randomUUID()}.toml`);
    await Deno.writeTextFile(path, toml);
    return new AgentProcess(["--config", path], options);
  }

  /** Every stderr line so far. */
  get stderrLines(): readonly string[] {
    return this.#stderr.lines;
  }

  /** The stderr lines that parse as JSON log events. */
  get events(): LogLine[] {
    const events: LogLine[] = [];
    for (const line of this.#stderr.lines) {
      try {
        const value = JSON.parse(line);
        if (value && typeof value.event === "string") events.push(value);
      } catch {
        // not a log line
      }
    }
    return events;
  }

  /** Waits for a log event named `event` (and matching `where`). */
  waitForEvent(
    event: string,
    where: (line: LogLine) => boolean = () => true,
    timeoutMs = 15_000,
  ): Promise<LogLine> {
    return waitFor(
      `agent log event "${event}" (stderr so far:\n${
        this.#stderr.lines.join("\n")
      })`,
      () => this.events.find((line) => line.event === event && where(line)),
      timeoutMs,
    );
  }

  /** Sends a signal. */
  kill(signal: Deno.Signal): void {
    this.#child.kill(signal);
  }

  /** Waits for the process to exit; returns its exit code, stdout and stderr. */
  async exit(): Promise<{ code: number; stdout: string; stderr: string }> {
    const status = await this.#child.status;
    await this.#stderr.done;
    return {
      code: status.code,
      stdout: await this.#stdout,
      stderr: this.#stderr.lines.join("\n"),
    };
  }

  /** Kills the agent if it still runs and waits for it. Idempotent. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#disposed ??= (async () => {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // already exited
      }
      await this.exit();
    })();
    return this.#disposed;
  }
}

/** A temporary directory removed on dispose. */
export async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "agent-test-" });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}
