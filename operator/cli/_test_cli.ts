/**
 * Helpers for the CLI's tests: running `fleet` in-process or as a child
 * process with an environment of the test's own (never the real one, never
 * the real home), and stand-in agents. Test-only, not published.
 *
 * @module
 */
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "../../nats/mod.ts";
import { encodeJson, type PingReply } from "../../contracts/mod.ts";
import { runCli } from "./program.ts";
import { findSetsid, NoSetsidError, TEST_ADMIN } from "../../testing/mod.ts";

/** What a run of the CLI gave. */
export interface CliRun {
  /** Its exit code. */
  code: number;
  /** Everything written to stdout, decoded as UTF-8. */
  stdout: string;
  /** Everything written to stderr, decoded as UTF-8. */
  stderr: string;
  /** Everything written to stdout, as bytes. */
  stdoutBytes: Uint8Array;
  /** Everything written to stderr, as bytes. */
  stderrBytes: Uint8Array;
}

/** Environment variables of a run; `undefined` leaves one out. */
export type TestEnv = Record<string, string | undefined>;

/** Extra inputs of a run. */
export interface RunOptions {
  /** What the CLI reads as its stdin (`fleet exec -i`). @default {nothing} */
  stdin?: Uint8Array;
  /** Aborting it is Ctrl-C (in-process runs only). @default {never aborted} */
  interrupt?: AbortSignal;
}

/** Collects what is written, as bytes, through `write` and `writeBytes`. */
export function byteSink(): {
  writer: { write(text: string): void; writeBytes(bytes: Uint8Array): void };
  bytes(): Uint8Array;
} {
  const parts: Uint8Array[] = [];
  const encoder = new TextEncoder();
  return {
    writer: {
      write: (text) => void parts.push(encoder.encode(text)),
      writeBytes: (bytes) => void parts.push(bytes.slice()),
    },
    bytes: () => concat(parts),
  };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

const decoder = new TextDecoder();

/** `bytes` as a stream of 64 KiB chunks, as a pipe would give them. */
function streamOf(bytes: Uint8Array): ReadableStream<Uint8Array> {
  let offset = 0;
  return new ReadableStream({
    pull(controller) {
      if (offset >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(offset, offset + 65_536));
      offset += 65_536;
    },
  });
}

/** Runs `runCli(args)` in this process with `env` as its whole environment. */
export async function runInProcess(
  args: readonly string[],
  env: TestEnv = {},
  options: RunOptions = {},
): Promise<CliRun> {
  const stdout = byteSink();
  const stderr = byteSink();
  const code = await runCli(args, {
    stdout: stdout.writer,
    stderr: stderr.writer,
    env,
    stdin: streamOf(options.stdin ?? new Uint8Array()),
    interrupt: options.interrupt ?? new AbortController().signal,
  });
  const stdoutBytes = stdout.bytes();
  const stderrBytes = stderr.bytes();
  return {
    code,
    stdout: decoder.decode(stdoutBytes),
    stderr: decoder.decode(stderrBytes),
    stdoutBytes,
    stderrBytes,
  };
}

const CLI_MAIN = new URL("../cli_main.ts", import.meta.url).pathname;
const DENO_CONFIG = new URL("../../deno.json", import.meta.url).pathname;

// Where this Deno keeps its cache, so a child with another HOME finds it.
function denoDir(): string {
  const explicit = Deno.env.get("DENO_DIR");
  if (explicit) return explicit;
  const cache = Deno.env.get("XDG_CACHE_HOME") ||
    `${Deno.env.get("HOME")}/.cache`;
  return `${cache}/deno`;
}

/** The environment of a child `fleet`: `PATH`, `DENO_DIR`, `NO_COLOR` and `env`. */
function childEnv(env: TestEnv): Record<string, string> {
  const vars: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    DENO_DIR: denoDir(),
    NO_COLOR: "1",
  };
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined) vars[name] = value;
  }
  return vars;
}

/** `run -A --config deno.json operator/cli_main.ts args…` */
function cliArgs(args: readonly string[]): string[] {
  return ["run", "-A", "--config", DENO_CONFIG, CLI_MAIN, ...args];
}

/**
 * Runs `deno run -A operator/cli_main.ts args…` as a child process whose
 * environment is only `PATH`, `DENO_DIR`, `NO_COLOR` and `env` (so `HOME`
 * is unset unless `env` sets it); `options.stdin` is piped to it.
 */
export async function runProcess(
  args: readonly string[],
  env: TestEnv = {},
  options: Pick<RunOptions, "stdin"> = {},
): Promise<CliRun> {
  const child = new Deno.Command(Deno.execPath(), {
    args: cliArgs(args),
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: childEnv(env),
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(options.stdin);
    await writer.close();
  }
  const output = await child.output();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
    stdoutBytes: output.stdout,
    stderrBytes: output.stderr,
  };
}

/**
 * A `fleet` child process in a process group of its own (`setsid`), as a
 * terminal runs a foreground job, so a test can send it a Ctrl-C
 * ({@linkcode CliChild.signalGroup}). Its output is read as it comes.
 */
export class CliChild implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  #stdout = "";
  #stderr = "";
  readonly #reading: Promise<void>;

  /** Starts `fleet args…` with `env` as its environment (see {@linkcode runProcess}). */
  constructor(args: readonly string[], env: TestEnv = {}) {
    const setsid = findSetsid();
    if (setsid === undefined) throw new NoSetsidError();
    this.#child = new Deno.Command(setsid, {
      args: [Deno.execPath(), ...cliArgs(args)],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      clearEnv: true,
      env: childEnv(env),
    }).spawn();
    const read = async (
      stream: ReadableStream<Uint8Array>,
      add: (text: string) => void,
    ) => {
      const textDecoder = new TextDecoder();
      for await (const chunk of stream) {
        add(textDecoder.decode(chunk, { stream: true }));
      }
    };
    this.#reading = Promise.all([
      read(this.#child.stdout, (t) => void (this.#stdout += t)),
      read(this.#child.stderr, (t) => void (this.#stderr += t)),
    ]).then(() => {});
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

  /** Waits for its exit and all of its output. */
  async exited(): Promise<number> {
    const { code } = await this.#child.status;
    await this.#reading;
    return code;
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

/** The ping reply the stand-in agents give. */
export function pingReply(deviceId: string, uptime = 192): PingReply {
  return {
    device_id: deviceId,
    agent_version: "0.1.0",
    uptime_s: uptime,
    runtime: "disabled",
  };
}

/**
 * A stand-in agent: answers ping for each of `deviceIds` on one connection,
 * made as `credentials` (default {@linkcode TEST_ADMIN}).
 */
export async function fakeAgents(
  url: string,
  deviceIds: readonly string[],
  credentials: { user: string; password: string } = TEST_ADMIN,
): Promise<NatsConnection> {
  const nc = await connect({
    servers: url,
    user: credentials.user,
    pass: credentials.password,
  });
  for (const deviceId of deviceIds) {
    nc.subscribe(`device-commands.${deviceId}.ping`, {
      callback: (error, msg) => {
        if (!error) msg.respond(encodeJson(pingReply(deviceId)));
      },
    });
  }
  await nc.flush();
  return nc;
}

/** `-s url --user admin --password …` for {@linkcode TEST_ADMIN}. */
export function adminArgs(url: string): string[] {
  return [
    "-s",
    url,
    "--user",
    TEST_ADMIN.user,
    "--password",
    TEST_ADMIN.password,
  ];
}
