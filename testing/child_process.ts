/**
 * Child processes whose output goes straight to a log file (through
 * `sh -c 'exec …'`, so the pid is the program's own and the process keeps
 * logging even if this one exits, as `FLEET_E2E_KEEP=1` needs), and how
 * to stop them: the processes of the test fixtures and of `Stack`.
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
  /**
   * Start it in a session (and process group) of its own with `setsid`, so
   * a terminal's Ctrl-C, which signals the whole foreground process group,
   * does not reach it. Throws {@linkcode NoSetsidError} when `setsid` is
   * not installed.
   *
   * @default {false}
   */
  newSession?: boolean;
}

/** Where `setsid` (util-linux) is looked for. */
const SETSID_PATHS = ["/usr/bin/setsid", "/bin/setsid"];

/** Thrown by {@linkcode spawnLogged} when `newSession` is asked for without `setsid`. */
export class NoSetsidError extends Error {
  /** Builds the error. */
  constructor() {
    super(
      `Cannot start a process in a session of its own: no setsid at ${
        SETSID_PATHS.map((path) => `"${path}"`).join(" or ")
      }`,
    );
    this.name = "NoSetsidError";
  }
}

/** The `setsid` binary, or `undefined` when there is none. */
export function findSetsid(): string | undefined {
  return SETSID_PATHS.find((path) => {
    try {
      return Deno.statSync(path).isFile;
    } catch {
      return false;
    }
  });
}

/**
 * Spawns `command args…` with stdout and stderr redirected to `logPath`.
 * Its pid is the program's own: the shell and `setsid` exec it (`setsid`
 * does not fork, since a child of this process never leads its group).
 */
export function spawnLogged(
  command: string,
  args: readonly string[],
  options: SpawnLoggedOptions,
): Deno.ChildProcess {
  const redirect = options.append ? ">>" : ">";
  const shell = [
    "/bin/sh",
    "-c",
    `log="$1"; shift; exec "$@" ${redirect}"$log" 2>&1`,
    "sh",
    options.logPath,
    command,
    ...args,
  ];
  let argv = shell;
  if (options.newSession) {
    const setsid = findSetsid();
    if (!setsid) throw new NoSetsidError();
    argv = [setsid, ...shell];
  }
  return new Deno.Command(argv[0], {
    args: argv.slice(1),
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
