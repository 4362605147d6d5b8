// Host exec: an argv run on the device itself, directly (no shell), in a
// session and process group of its own, so that stopping it kills
// everything it started. Private to agent/verbs/; see exec.ts.
import { type StreamChunk, StreamName } from "../../contracts/mod.ts";
import type { StreamResult } from "../handler.ts";

/** Options of {@linkcode hostExec}. */
export interface HostExecOptions {
  /** Variables added to the agent's environment. @default {{}} */
  env?: Record<string, string>;
  /** Working directory (absolute). @default {the agent's} */
  workdir?: string;
  /** Bytes for stdin, which is then closed. @default {none: stdin is /dev/null} */
  stdin?: Uint8Array;
  /**
   * Kills the process group (SIGKILL) when aborted; the iteration then
   * throws `signal.reason`.
   */
  signal?: AbortSignal;
}

/** Exit code of a command that cannot be found (as a shell and podman say). */
export const EXIT_NOT_FOUND = 127;
/** Exit code of a command that was found but cannot be run. */
export const EXIT_CANNOT_RUN = 126;

const encoder = new TextEncoder();

/**
 * Runs `cmd` on the host and yields its stdout and stderr as they come;
 * returns `{ exitCode }` once the process has exited and both outputs have
 * ended. The process leads a new session (`setsid`), so its children share
 * its process group: when the signal aborts, or the consumer stops early
 * (`return()`), the whole group gets SIGKILL and is waited for. A command
 * that cannot start is answered as a shell would: one `fleet-agent: …`
 * line on stderr and exit code 127 (not found, no such working directory)
 * or 126 (not executable).
 */
export async function* hostExec(
  cmd: readonly string[],
  options: HostExecOptions = {},
): AsyncGenerator<StreamChunk, StreamResult, undefined> {
  const { signal } = options;
  signal?.throwIfAborted();
  const problem = await workdirProblem(options.workdir);
  if (problem !== undefined) {
    yield complaint(problem);
    return { exitCode: EXIT_NOT_FOUND };
  }
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(cmd[0], {
      args: cmd.slice(1),
      env: options.env,
      cwd: options.workdir,
      stdin: options.stdin === undefined ? "null" : "piped",
      stdout: "piped",
      stderr: "piped",
      // setsid: a session and process group of its own, led by the child.
      detached: true,
    }).spawn();
  } catch (error) {
    const notFound = error instanceof Deno.errors.NotFound;
    yield complaint(
      notFound
        ? `${cmd[0]}: command not found`
        : error instanceof Deno.errors.PermissionDenied
        ? `${cmd[0]}: permission denied`
        : `${cmd[0]}: cannot run: ${(error as Error).message}`,
    );
    return { exitCode: notFound ? EXIT_NOT_FOUND : EXIT_CANNOT_RUN };
  }

  const status = child.status;
  const readers = {
    [StreamName.Stdout]: child.stdout.getReader(),
    [StreamName.Stderr]: child.stderr.getReader(),
  };
  let stopped = false;
  // Kills the group and stops reading: a process that left the group (a
  // setsid of its own) and holds the output open cannot hold up the end.
  const stop = () => {
    if (stopped) return;
    stopped = true;
    killGroup(child.pid);
    for (const reader of Object.values(readers)) {
      reader.cancel().catch(() => {});
    }
  };
  signal?.addEventListener("abort", stop, { once: true });
  const writing = options.stdin === undefined
    ? Promise.resolve()
    : writeStdin(child.stdin, options.stdin);
  let done = false;
  try {
    for await (const chunk of merge(readers)) {
      signal?.throwIfAborted();
      yield chunk;
    }
    signal?.throwIfAborted();
    const { code } = await status;
    done = true;
    return { exitCode: code };
  } finally {
    signal?.removeEventListener("abort", stop);
    // Stopped early (abort, return(), an error): nothing may be left
    // running, the process or what it started.
    if (!done) stop();
    await Promise.all(
      Object.values(readers).map((reader) => reader.cancel().catch(() => {})),
    );
    await writing;
    await status;
  }
}

/** stdout and stderr, chunk by chunk as either has one; one read ahead per stream. */
async function* merge(
  readers: Record<StreamName, ReadableStreamDefaultReader<Uint8Array>>,
): AsyncGenerator<StreamChunk, void, undefined> {
  type Step = {
    stream: StreamName;
    result: ReadableStreamReadResult<Uint8Array>;
  };
  const read = (stream: StreamName): Promise<Step> =>
    readers[stream].read().then((result) => ({ stream, result }));
  const pending = new Map<StreamName, Promise<Step>>([
    [StreamName.Stdout, read(StreamName.Stdout)],
    [StreamName.Stderr, read(StreamName.Stderr)],
  ]);
  while (pending.size > 0) {
    const { stream, result } = await Promise.race(pending.values());
    if (result.done) {
      pending.delete(stream);
      continue;
    }
    pending.set(stream, read(stream));
    yield { stream, data: result.value };
  }
}

async function writeStdin(
  stdin: WritableStream<Uint8Array>,
  bytes: Uint8Array,
): Promise<void> {
  const writer = stdin.getWriter();
  try {
    await writer.write(bytes);
    await writer.close();
  } catch {
    // The command exited (or was killed) before reading all of it.
    await writer.abort().catch(() => {});
  }
}

async function workdirProblem(
  workdir: string | undefined,
): Promise<string | undefined> {
  if (workdir === undefined) return undefined;
  try {
    const info = await Deno.stat(workdir);
    return info.isDirectory
      ? undefined
      : `cannot change to directory ${
        JSON.stringify(workdir)
      }: not a directory`;
  } catch (error) {
    return `cannot change to directory ${JSON.stringify(workdir)}: ${
      error instanceof Deno.errors.NotFound
        ? "no such directory"
        : (error as Error).message
    }`;
  }
}

function complaint(problem: string): StreamChunk {
  return {
    stream: StreamName.Stderr,
    data: encoder.encode(`fleet-agent: ${problem}\n`),
  };
}

/** SIGKILL to the process group `pid` leads; else to `pid` alone. */
function killGroup(pid: number): void {
  try {
    Deno.kill(-pid, "SIGKILL");
    return;
  } catch {
    // The group is gone (every member has exited).
  }
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    // Gone meanwhile.
  }
}
