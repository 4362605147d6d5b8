/**
 * A running exec session: its output stream, its exit code, and killing it.
 *
 * @module
 */
import { FrameDemuxer, FrameStreamError, type StreamChunk } from "./frames.ts";
import { PodmanError, PodmanStreamError } from "./errors.ts";
import { describe, type Transport } from "./_transport.ts";
import { writeAll } from "./_http1.ts";

/** An exec session's state, from `GET /libpod/exec/{id}/json`. */
export interface ExecState {
  /** Whether the command still runs. */
  running: boolean;
  /** Its host pid while it runs, else 0. */
  pid: number;
  /** Its exit code once it has ended (137 when killed). */
  exitCode: number;
}

/** What {@linkcode PodmanExec} is made of; built by `PodmanClient.exec`. */
export interface PodmanExecInit {
  /** The exec session id. */
  id: string;
  /** The upgraded connection of exec start. */
  conn: Deno.UnixConn;
  /** Stream bytes that came with the 101 answer. */
  leftover: Uint8Array;
  /** Bytes for stdin, if any. */
  stdin?: Uint8Array;
  /** Kills the command when aborted. */
  signal?: AbortSignal;
}

const READ_SIZE = 64 * 1024;
const SETTLE_POLL_MS = 10;
const SETTLE_TIMEOUT_MS = 10_000;

/**
 * A command started by `PodmanClient.exec`. Iterate it (once) for its
 * output, demultiplexed into `stdout`/`stderr` chunks; then `exitCode()`.
 * Breaking out of the loop, an error, or the `signal` aborting kills the
 * command. `kill()` ends the command and everything it started (SIGKILL to
 * its process group, by the host pid podman reports: the caller must run
 * as the same user as podman, in the host's pid namespace); its exit code
 * then reads 137. Dispose kills it if it still runs and closes the
 * connection; idempotent.
 *
 * @example
 * ```ts ignore
 * await using run = await client.exec("web", { cmd: ["sh", "-c", "echo hi; exit 3"] });
 * for await (const { stream, data } of run) console.log(stream, data);
 * await run.exitCode(); // 3
 * ```
 */
export class PodmanExec implements AsyncIterable<StreamChunk>, AsyncDisposable {
  readonly #transport: Transport;
  readonly #conn: Deno.UnixConn;
  readonly #leftover: Uint8Array;
  readonly #signal?: AbortSignal;
  readonly #ended: Promise<void>;
  #resolveEnded: () => void = () => {};
  #reading = false;
  #closed = false;
  #eof = false;
  #stdinDone: Promise<void> = Promise.resolve();
  #disposed: Promise<void> | undefined;

  /** The exec session id. */
  readonly id: string;

  /** Wraps a started session; see {@linkcode PodmanExecInit}. */
  constructor(transport: Transport, init: PodmanExecInit) {
    this.#transport = transport;
    this.#conn = init.conn;
    this.#leftover = init.leftover;
    this.#signal = init.signal;
    this.id = init.id;
    this.#ended = new Promise((resolve) => this.#resolveEnded = resolve);
    if (init.stdin !== undefined) {
      this.#stdinDone = this.#writeStdin(init.stdin);
    }
  }

  /**
   * The command's output. It can be read once.
   *
   * @throws {TypeError} when read a second time.
   */
  [Symbol.asyncIterator](): AsyncGenerator<StreamChunk, void, undefined> {
    if (this.#reading) {
      throw new TypeError(
        `The output of exec session ${this.id} can be read only once`,
      );
    }
    this.#reading = true;
    return this.#read();
  }

  /**
   * Resolves with the exit code once the command has ended. Output not read
   * by then is read and dropped.
   *
   * @throws {PodmanNotFoundError} when the session is gone.
   */
  async exitCode(): Promise<number> {
    if (!this.#reading) {
      for await (const _ of this) {
        // Dropped.
      }
    }
    await this.#ended;
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    while (true) {
      const state = await this.inspect();
      if (!state.running) return state.exitCode;
      if (Date.now() > deadline) {
        throw new PodmanError(
          `Cannot read the exit code of exec session ${this.id}`,
          `it still runs ${SETTLE_TIMEOUT_MS} ms after its output ended`,
          { socket: this.#transport.socket, endpoint: this.#inspectEndpoint() },
        );
      }
      await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
    }
  }

  /** The session's state now. */
  async inspect(): Promise<ExecState> {
    const spec = {
      path: `/exec/${this.id}/json`,
      action: `Cannot inspect exec session ${this.id}`,
    };
    const json = await this.#transport.json(spec) as Record<string, unknown>;
    if (typeof json?.Running !== "boolean") {
      throw this.#transport.unexpected(spec, "no Running field");
    }
    return {
      running: json.Running,
      pid: typeof json.Pid === "number" ? json.Pid : 0,
      exitCode: typeof json.ExitCode === "number" ? json.ExitCode : -1,
    };
  }

  /**
   * Kills the command and its process group with SIGKILL, if it still
   * runs. Its output then ends and its exit code reads 137.
   */
  async kill(): Promise<void> {
    if (this.#eof) return;
    const state = await this.inspect();
    if (state.running && state.pid > 0) killGroup(state.pid);
  }

  /** Kills the command if it still runs and closes the connection; idempotent. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#disposed ??= (async () => {
      if (!this.#eof && !this.#closed) await this.kill().catch(() => {});
      this.#close();
      await this.#stdinDone;
    })();
    return this.#disposed;
  }

  async *#read(): AsyncGenerator<StreamChunk, void, undefined> {
    const signal = this.#signal;
    const demuxer = new FrameDemuxer();
    let aborting: Promise<void> | undefined;
    const onAbort = () => {
      aborting = this.kill().catch(() => {}).finally(() => this.#close());
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      signal?.throwIfAborted();
      yield* this.#push(demuxer, this.#leftover);
      while (true) {
        const buffer = new Uint8Array(READ_SIZE);
        let n: number | null;
        try {
          n = await this.#conn.read(buffer);
        } catch (cause) {
          signal?.throwIfAborted();
          throw this.#streamError(describe(cause), cause);
        }
        if (n === null) break;
        // A small read is copied out, so chunks kept by the consumer do
        // not each hold a whole read buffer.
        const bytes = n < READ_SIZE / 4
          ? buffer.slice(0, n)
          : buffer.subarray(0, n);
        yield* this.#push(demuxer, bytes);
      }
      signal?.throwIfAborted();
      try {
        demuxer.end();
      } catch (cause) {
        throw this.#streamError(describe(cause), cause);
      }
      this.#eof = true;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      await aborting;
      if (!this.#eof) await this.kill().catch(() => {});
      this.#close();
      await this.#stdinDone;
      this.#resolveEnded();
    }
  }

  #push(demuxer: FrameDemuxer, bytes: Uint8Array): StreamChunk[] {
    try {
      return demuxer.push(bytes);
    } catch (cause) {
      if (cause instanceof FrameStreamError) {
        throw this.#streamError(cause.message, cause);
      }
      throw cause;
    }
  }

  async #writeStdin(bytes: Uint8Array): Promise<void> {
    try {
      await writeAll(this.#conn, bytes);
      await this.#conn.closeWrite();
    } catch {
      // The command exited (or was killed) before reading all of it.
    }
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }

  #streamError(problem: string, cause: unknown): PodmanStreamError {
    return new PodmanStreamError(
      `Cannot read the output of exec session ${this.id}`,
      problem,
      {
        socket: this.#transport.socket,
        endpoint: `POST /v4.0.0/libpod/exec/${this.id}/start`,
        cause,
      },
    );
  }

  #inspectEndpoint(): string {
    return this.#transport.endpoint({ path: `/exec/${this.id}/json` });
  }
}

/** SIGKILL to the process group of `pid` (exec'd commands lead their own), else to `pid`. */
function killGroup(pid: number): void {
  try {
    Deno.kill(-pid, "SIGKILL");
    return;
  } catch {
    // Not a group leader, or gone.
  }
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    // Gone meanwhile.
  }
}
