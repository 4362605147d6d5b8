// Test helper of the e2e tests: a Deno child process (the `fleet` CLI, or a
// script of the tests) in a session of its own (`setsid`), as a terminal
// runs a foreground job, reached through a stack's admin user by the
// environment (NATS_URL, NATS_USER, NATS_PASSWORD), its output read as it
// comes. Not published.
import { findSetsid, NoSetsidError } from "../testing/mod.ts";
import type { Stack } from "./stack.ts";

const ROOT = new URL("..", import.meta.url).pathname;

/** `mod.ts`: the `fleet` CLI of this checkout. */
export const FLEET_CLI = `${ROOT}mod.ts`;

/** The environment that connects the CLI (or a script) to `stack` as admin. */
export function stackEnv(stack: Stack): Record<string, string> {
  const { user, password } = stack.adminCredentials;
  const tls = stack.operatorTls();
  return {
    NATS_URL: stack.natsUrl,
    NATS_USER: user,
    NATS_PASSWORD: password,
    ...(tls?.caFile ? { NATS_CA: tls.caFile } : {}),
    ...(tls?.certFile ? { NATS_CERT: tls.certFile } : {}),
    ...(tls?.keyFile ? { NATS_KEY: tls.keyFile } : {}),
  };
}

/**
 * `deno run -A <entry> args…` in a session of its own, with only `PATH`,
 * `DENO_DIR`, `NO_COLOR` and `env` in its environment.
 */
export class DenoChild implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  #stdout = "";
  #stderr = "";
  readonly #reading: Promise<void>;

  /** Starts it; see the class docs. */
  constructor(
    entry: string,
    args: readonly string[],
    env: Record<string, string>,
  ) {
    const setsid = findSetsid();
    if (setsid === undefined) throw new NoSetsidError();
    const inherited: Record<string, string> = {};
    for (const name of ["PATH", "DENO_DIR"]) {
      const value = Deno.env.get(name);
      if (value !== undefined) inherited[name] = value;
    }
    this.#child = new Deno.Command(setsid, {
      args: [
        Deno.execPath(),
        "run",
        "-A",
        "--config",
        `${ROOT}deno.json`,
        entry,
        ...args,
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      clearEnv: true,
      env: { ...inherited, NO_COLOR: "1", ...env },
    }).spawn();
    const read = async (
      stream: ReadableStream<Uint8Array>,
      add: (text: string) => void,
    ) => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) {
        add(decoder.decode(chunk, { stream: true }));
      }
    };
    this.#reading = Promise.all([
      read(this.#child.stdout, (text) => void (this.#stdout += text)),
      read(this.#child.stderr, (text) => void (this.#stderr += text)),
    ]).then(() => {});
  }

  /** Its process id (also its process group's). */
  get pid(): number {
    return this.#child.pid;
  }

  /** Its stdout so far. */
  get stdout(): string {
    return this.#stdout;
  }

  /** Its stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** Sends `signal` to its whole process group, as a terminal's Ctrl-C does. */
  signalGroup(signal: Deno.Signal): void {
    Deno.kill(-this.#child.pid, signal);
  }

  /** Waits for its exit and all of its output; its status. */
  async exited(): Promise<Deno.CommandStatus> {
    const status = await this.#child.status;
    await this.#reading;
    return status;
  }

  /** Kills it (SIGKILL) if it still runs, and waits. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await this.exited();
  }
}
