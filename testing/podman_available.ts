/**
 * Whether podman tests can run here, and the rule for ignoring them: without
 * podman they are ignored with a one-line reason, unless
 * `FLEET_REQUIRE_PODMAN=1` (CI) makes a missing podman a test failure.
 *
 * @module
 */

/** The result of {@linkcode podmanAvailable}. */
export type PodmanAvailability =
  | { ok: true; version: string; runc: string }
  | { ok: false; reason: string };

/** Options of {@linkcode podmanAvailable}. */
export interface PodmanAvailableOptions {
  /** The podman binary. @default {"podman"} */
  podman?: string;
  /**
   * Absolute paths where runc may be (the services run containers with runc
   * only); the first that runs wins.
   *
   * @default {`runc` in each `PATH` entry, then in /usr/sbin, /usr/bin, /usr/local/sbin, /usr/local/bin}
   */
  runc?: readonly string[];
}

function runcCandidates(): string[] {
  const dirs = [
    ...(Deno.env.get("PATH") ?? "").split(":").filter((dir) =>
      dir.startsWith("/")
    ),
    "/usr/sbin",
    "/usr/bin",
    "/usr/local/sbin",
    "/usr/local/bin",
  ];
  return [...new Set(dirs.map((dir) => `${dir.replace(/\/+$/, "")}/runc`))];
}

/** The environment variable that makes a missing podman a test failure. */
export const REQUIRE_PODMAN_ENV = "FLEET_REQUIRE_PODMAN";

/**
 * Checks that `podman --version` and `runc --version` run. Synchronous, so
 * a test module can use it for `ignore`.
 *
 * @example
 * ```ts
 * import { podmanAvailable } from "./podman_available.ts";
 * const found = podmanAvailable();
 * console.log(found.ok ? `podman ${found.version}` : found.reason);
 * ```
 */
export function podmanAvailable(
  options: PodmanAvailableOptions = {},
): PodmanAvailability {
  const podman = options.podman ?? "podman";
  const version = runVersion(podman);
  if (!version.ok) {
    return {
      ok: false,
      reason: `podman ${
        JSON.stringify(podman)
      } cannot be run: ${version.error}`,
    };
  }
  const candidates = options.runc ?? runcCandidates();
  const runc = candidates.find((path) => runVersion(path).ok);
  if (runc === undefined) {
    return {
      ok: false,
      reason: `runc not found (looked for ${
        candidates.map((path) => JSON.stringify(path)).join(", ")
      })`,
    };
  }
  return {
    ok: true,
    version: version.text.replace(/^podman version /, ""),
    runc,
  };
}

/** Options of {@linkcode ignoreWithoutPodman}. */
export interface IgnoreWithoutPodmanOptions extends PodmanAvailableOptions {
  /**
   * Fail instead of ignoring when podman is missing.
   *
   * @default {Deno.env.get("FLEET_REQUIRE_PODMAN") === "1"}
   */
  require?: boolean;
  /** Where the one-line reason goes. @default {console.warn} */
  log?: (line: string) => void;
}

/**
 * The `ignore` of a test that needs podman: `true` (and one line saying why)
 * when podman cannot run here; `false` when it can, and also when it is
 * required (`FLEET_REQUIRE_PODMAN=1`), so the test runs and fails on the
 * missing podman.
 *
 * @example
 * ```ts ignore
 * import { ignoreWithoutPodman, PodmanService } from "@harmony/fleet/testing";
 * Deno.test({
 *   name: "logs() reads a container's log",
 *   ignore: ignoreWithoutPodman(),
 *   fn: async () => {
 *     await using service = await PodmanService.start();
 *   },
 * });
 * ```
 */
export function ignoreWithoutPodman(
  options: IgnoreWithoutPodmanOptions = {},
): boolean {
  const found = podmanAvailable(options);
  if (found.ok) return false;
  const require = options.require ??
    Deno.env.get(REQUIRE_PODMAN_ENV) === "1";
  if (require) return false;
  (options.log ?? console.warn)(
    `podman tests ignored: ${found.reason} (set ${REQUIRE_PODMAN_ENV}=1 to fail instead)`,
  );
  return true;
}

function runVersion(
  binary: string,
): { ok: true; text: string } | { ok: false; error: string } {
  try {
    const output = new Deno.Command(binary, {
      args: ["--version"],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    const text = new TextDecoder().decode(output.stdout).trim().split("\n")[0];
    if (output.success) return { ok: true, text };
    return {
      ok: false,
      error: `"--version" exited with code ${output.code}: ${
        new TextDecoder().decode(output.stderr).trim()
      }`,
    };
  } catch (error) {
    return {
      ok: false,
      error: error instanceof Error ? error.message : String(error),
    };
  }
}
