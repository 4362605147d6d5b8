import { Runtime } from "../contracts/mod.ts";

/** One socket path the probe tried, and why it was not usable. */
export interface SocketAttempt {
  /** The socket path. */
  path: string;
  /** Where the path came from, e.g. `"CONTAINER_HOST"`. */
  source: string;
  /** Why it was not usable, e.g. `"does not exist"`. */
  problem: string;
}

/**
 * Thrown when `runtime_enabled = true` but no podman API socket answers.
 * The message lists the paths tried and how to fix it.
 *
 * @example
 * ```ts ignore
 * import { detectRuntime, RuntimeUnavailableError } from "@harmony/fleet/agent";
 * try {
 *   await detectRuntime(true);
 * } catch (error) {
 *   if (error instanceof RuntimeUnavailableError) console.error(error.attempts);
 * }
 * ```
 */
export class RuntimeUnavailableError extends Error {
  /** Every path tried, in order. */
  readonly attempts: readonly SocketAttempt[];

  /** Builds the error from the attempts made; `hint` says how to fix it. */
  constructor(
    attempts: readonly SocketAttempt[],
    hint: string,
    options?: ErrorOptions,
  ) {
    const tried = attempts.length === 0
      ? " (no socket path to try)"
      : attempts.map((a) => `\n  - ${a.path} (${a.source}): ${a.problem}`)
        .join("");
    super(
      `Cannot start with runtime_enabled = true: no podman API socket answers. Tried:${tried}\n${hint}`,
      options,
    );
    this.name = "RuntimeUnavailableError";
    this.attempts = attempts;
  }
}

/** Options of {@linkcode probePodmanSocket} and {@linkcode detectRuntime}. */
export interface RuntimeProbeOptions {
  /**
   * Reads an environment variable (`CONTAINER_HOST`, `XDG_RUNTIME_DIR`).
   *
   * @default {(name) => Deno.env.get(name)}
   */
  env?: (name: string) => string | undefined;
  /**
   * The socket configured (`[runtime] socket`, an absolute path): when
   * given, the only one tried.
   *
   * @default {undefined} (CONTAINER_HOST, else the standard paths)
   */
  socket?: string;
  /**
   * How long each socket may take to answer `GET /_ping`, in milliseconds.
   *
   * @default {2000}
   */
  timeoutMs?: number;
}

const HINT = "Fix: start the podman API service " +
  "(`podman system service --time=0 unix:///run/podman/podman.sock`, or " +
  "`systemctl --user enable --now podman.socket`), " +
  "point [runtime] socket in the config file (or CONTAINER_HOST) at its " +
  "socket, or set runtime_enabled = false in the [agent] table of the " +
  "config file.";

/** Where {@linkcode podmanSocketCandidates} says a configured socket came from. */
export const CONFIGURED_SOCKET_SOURCE = "[runtime] socket";

/**
 * The socket paths to try, in order: the configured `socket` alone when
 * given; else `CONTAINER_HOST` (a `unix://` URL) when it is set; otherwise
 * `$XDG_RUNTIME_DIR/podman/podman.sock` and `/run/podman/podman.sock`.
 *
 * @example
 * ```ts
 * import { podmanSocketCandidates } from "@harmony/fleet/agent";
 * podmanSocketCandidates({ env: () => undefined });
 * // [{ path: "/run/podman/podman.sock", source: "rootful default" }]
 * ```
 */
export function podmanSocketCandidates(
  options: Pick<RuntimeProbeOptions, "env" | "socket"> = {},
): { path: string; source: string }[] {
  if (options.socket !== undefined) {
    return [{ path: options.socket, source: CONFIGURED_SOCKET_SOURCE }];
  }
  const env = options.env ?? ((name: string) => Deno.env.get(name));
  const containerHost = env("CONTAINER_HOST");
  if (containerHost) {
    return [{ path: containerHost, source: "CONTAINER_HOST" }];
  }
  const candidates = [];
  const runtimeDir = env("XDG_RUNTIME_DIR");
  if (runtimeDir) {
    candidates.push({
      path: `${runtimeDir.replace(/\/+$/, "")}/podman/podman.sock`,
      source: "rootless default, from XDG_RUNTIME_DIR",
    });
  }
  candidates.push({
    path: "/run/podman/podman.sock",
    source: "rootful default",
  });
  return candidates;
}

/**
 * Finds a podman API socket that answers `GET /_ping` and returns its path.
 *
 * @throws {RuntimeUnavailableError} naming every path tried and how to fix it.
 * @example
 * ```ts ignore
 * import { probePodmanSocket } from "@harmony/fleet/agent";
 * const socket = await probePodmanSocket(); // "/run/podman/podman.sock"
 * ```
 */
export async function probePodmanSocket(
  options: RuntimeProbeOptions = {},
): Promise<string> {
  const timeoutMs = options.timeoutMs ?? 2000;
  const attempts: SocketAttempt[] = [];
  for (const candidate of podmanSocketCandidates(options)) {
    let path = candidate.path;
    if (candidate.source === "CONTAINER_HOST") {
      if (!path.startsWith("unix://")) {
        attempts.push({
          ...candidate,
          problem:
            "only unix:// URLs are supported (e.g. unix:///run/podman/podman.sock)",
        });
        continue;
      }
      path = path.slice("unix://".length);
    }
    const problem = await socketProblem(path, timeoutMs);
    if (problem === undefined) return path;
    attempts.push({ path, source: candidate.source, problem });
  }
  throw new RuntimeUnavailableError(attempts, HINT);
}

/**
 * The runtime an agent reports: `"disabled"` when `runtimeEnabled` is false
 * (podman is not touched at all), otherwise `"podman"` once its API socket
 * answers.
 *
 * @throws {RuntimeUnavailableError} when enabled and no socket answers.
 * @example
 * ```ts
 * import { detectRuntime } from "@harmony/fleet/agent";
 * await detectRuntime(false); // "disabled"
 * ```
 */
export async function detectRuntime(
  runtimeEnabled: boolean,
  options: RuntimeProbeOptions = {},
): Promise<Runtime> {
  if (!runtimeEnabled) return Runtime.Disabled;
  await probePodmanSocket(options);
  return Runtime.Podman;
}

async function socketProblem(
  path: string,
  timeoutMs: number,
): Promise<string | undefined> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "does not exist";
    return `cannot be inspected: ${(error as Error).message}`;
  }
  if (!info.isSocket) {
    const kind = info.isFile
      ? "a regular file"
      : info.isDirectory
      ? "a directory"
      : "another kind of file";
    return `is not a socket (it is ${kind})`;
  }
  const client = Deno.createHttpClient({ proxy: { transport: "unix", path } });
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const response = await fetch("http://podman/_ping", {
      client,
      signal: controller.signal,
    });
    await response.body?.cancel();
    if (!response.ok) {
      return `answered GET /_ping with HTTP ${response.status}`;
    }
    return undefined;
  } catch (error) {
    if (controller.signal.aborted) {
      return `did not answer GET /_ping within ${timeoutMs} ms`;
    }
    return `did not answer GET /_ping: ${(error as Error).message}`;
  } finally {
    clearTimeout(timer);
    client.close();
  }
}
