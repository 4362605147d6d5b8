/**
 * Child processes whose output goes straight to a log file (through
 * `sh -c 'exec …'`, so the pid is the program's own and the process keeps
 * logging even if this one exits, as `FLEET_E2E_KEEP=1` needs). Private to
 * `e2e/`.
 */

/** Options of {@linkcode spawnLogged}. */
export interface SpawnLoggedOptions {
  /** File that receives stdout and stderr. */
  logPath: string;
  /** Append to the log instead of truncating it. @default {false} */
  append?: boolean;
  /** Working directory. @default {the current one} */
  cwd?: string;
  /** Variables set on top of this process's environment. @default {{}} */
  env?: Record<string, string>;
}

/** Spawns `command args…` with stdout and stderr redirected to `logPath`. */
export function spawnLogged(
  command: string,
  args: readonly string[],
  options: SpawnLoggedOptions,
): Deno.ChildProcess {
  const redirect = options.append ? ">>" : ">";
  return new Deno.Command("/bin/sh", {
    args: [
      "-c",
      `log="$1"; shift; exec "$@" ${redirect}"$log" 2>&1`,
      "sh",
      options.logPath,
      command,
      ...args,
    ],
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

/** The last `lines` lines of a text file; empty if it cannot be read. */
export async function readTail(path: string, lines = 20): Promise<string> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.trimEnd().split("\n").slice(-lines).join("\n");
}

/** Sends `signal`, ignoring a process that has already exited. */
export function signalChild(
  child: Deno.ChildProcess,
  signal: Deno.Signal,
): void {
  try {
    child.kill(signal);
  } catch {
    // Already exited.
  }
}

/** Resolves with `value` after `ms`, unless `cancel` is called first. */
export function timer<T>(
  ms: number,
  value: T,
): { promise: Promise<T>; cancel: () => void } {
  let id: ReturnType<typeof setTimeout> | undefined;
  let resolveIt: (value: T) => void = () => {};
  const promise = new Promise<T>((resolve) => {
    resolveIt = resolve;
    id = setTimeout(() => resolve(value), ms);
  });
  return {
    promise,
    cancel: () => {
      clearTimeout(id);
      resolveIt(value);
    },
  };
}

/**
 * Stops `child`: `signal` (SIGTERM by default), then SIGKILL if it has not
 * exited within `timeoutMs`. Resolves with its exit status.
 */
export async function stopChild(
  child: Deno.ChildProcess,
  timeoutMs: number,
  signal: Deno.Signal = "SIGTERM",
): Promise<Deno.CommandStatus> {
  signalChild(child, signal);
  const deadline = timer(timeoutMs, undefined);
  const status = await Promise.race([child.status, deadline.promise]);
  deadline.cancel();
  if (status) return status;
  signalChild(child, "SIGKILL");
  return await child.status;
}

/** Whether `path` is an executable regular file. */
export async function isExecutableFile(path: string): Promise<boolean> {
  const info = await Deno.stat(path).catch(() => undefined);
  return !!info?.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
}
