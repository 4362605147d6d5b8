/**
 * {@linkcode PodmanStore}: a podman storage of the toolkit's own, used
 * through the podman CLI (no service), that outlives a test run: the e2e
 * `podman` backend keeps its images there (built once per machine, by
 * content hash) and runs each stack's pods in it. Neither the user's own
 * podman storage nor the private storage of a `PodmanService` is touched.
 *
 * @module
 */
import { type PodmanRun, redactEnv, runPodman } from "./_podman_cli.ts";
import { renderContainersConf, renderStorageConf } from "./_podman_config.ts";
import { podmanAvailable } from "./podman_available.ts";
import { fleetCacheDir } from "./nats_server_binary.ts";
import { PodmanServiceError } from "./podman_service.ts";

/** Options of {@linkcode PodmanStore.open}. */
export interface PodmanStoreOptions {
  /** The podman binary. @default {"podman"} */
  podman?: string;
  /**
   * Image and container storage (`--root`); it persists.
   *
   * @default {`<toolkit cache>/podman-e2e` (see `fleetCacheDir`)}
   */
  root?: string;
  /**
   * Runtime state, locks and build contexts (`--runroot`, `--tmpdir`): on
   * a temporary file system, so a reboot starts it afresh, as podman
   * expects.
   *
   * @default {`$TMPDIR/harmony-fleet-podman-e2e-<uid>-<8 hex of root>` (TMPDIR: /tmp)}
   */
  runDir?: string;
}

/**
 * A podman storage driven through the CLI with its own `containers.conf`
 * and `storage.conf` (runc, explicit ulimits, no network namespace, file
 * locks). Parallel users of one store are fine: podman locks its state;
 * {@linkcode PodmanStore.withLock} serialises longer sequences (an image
 * build). It owns no process, so there is nothing to dispose.
 *
 * @example
 * ```ts ignore
 * import { PodmanStore } from "@harmony/fleet/testing";
 * const store = await PodmanStore.open();
 * const { stdout } = await store.podman(["images", "--format", "{{.Repository}}"]);
 * ```
 */
export class PodmanStore {
  readonly #podman: string;
  /** A directory for temporary files (build contexts): under `runDir`. */
  readonly dir: string;
  /** `--root`, `--runroot` and `--tmpdir`, before every command. */
  readonly podmanArgs: readonly string[];
  /** `CONTAINERS_CONF`, `CONTAINERS_STORAGE_CONF` and `TMPDIR`. */
  readonly env: Readonly<Record<string, string>>;

  private constructor(
    podman: string,
    dir: string,
    podmanArgs: string[],
    env: Record<string, string>,
  ) {
    this.#podman = podman;
    this.dir = dir;
    this.podmanArgs = podmanArgs;
    this.env = env;
  }

  /**
   * Opens (creating when needed) the store: its directories and config
   * files.
   *
   * @throws {PodmanServiceError} when podman or runc cannot run here.
   */
  static async open(options: PodmanStoreOptions = {}): Promise<PodmanStore> {
    const podman = options.podman ?? "podman";
    const found = podmanAvailable({ podman });
    if (!found.ok) {
      throw new PodmanServiceError(
        `Cannot open the e2e podman store: ${found.reason}`,
      );
    }
    const root = options.root ?? `${fleetCacheDir()}/podman-e2e`;
    // One run dir per storage: two storages must never share a runroot.
    const tmp = Deno.env.get("TMPDIR") || "/tmp";
    const runDir = options.runDir ??
      `${tmp}/harmony-fleet-podman-e2e-${Deno.uid()}-${await shortHash(root)}`;
    const dirs = {
      root: `${root}/storage`,
      runroot: `${runDir}/runroot`,
      tmp: `${runDir}/tmp`,
    };
    for (const path of [dirs.root, dirs.tmp, `${runDir}/build`]) {
      await Deno.mkdir(path, { recursive: true, mode: 0o700 });
    }
    const env = {
      CONTAINERS_CONF: `${runDir}/containers.conf`,
      CONTAINERS_STORAGE_CONF: `${runDir}/storage.conf`,
      TMPDIR: dirs.tmp,
    };
    await writeIfChanged(
      env.CONTAINERS_CONF,
      renderContainersConf(dirs, found.runc),
    );
    await writeIfChanged(env.CONTAINERS_STORAGE_CONF, renderStorageConf(dirs));
    return new PodmanStore(podman, `${runDir}/build`, [
      "--root",
      dirs.root,
      "--runroot",
      dirs.runroot,
      "--tmpdir",
      dirs.tmp,
    ], env);
  }

  /**
   * Runs `podman <args>` on this store. With `check` (the default) a
   * non-zero exit throws a {@linkcode PodmanServiceError} with its stderr;
   * the values of `--env` arguments are never quoted.
   */
  async podman(
    args: readonly string[],
    options: { check?: boolean; stdin?: Uint8Array } = {},
  ): Promise<PodmanRun> {
    const run = await runPodman(this.#podman, [...this.podmanArgs, ...args], {
      env: this.env,
      stdin: options.stdin,
    });
    if ((options.check ?? true) && run.code !== 0) {
      const stderr = new TextDecoder().decode(run.stderr).trim();
      throw new PodmanServiceError(
        `Cannot run "podman ${
          redactEnv(args).join(" ")
        }" on the e2e podman store: it exited with code ${run.code}: ${
          stderr.slice(-2000)
        }`,
      );
    }
    return run;
  }

  /**
   * Runs `fn` holding the store's lock `name` (an exclusive `flock` on a
   * file under `dir`), so that processes sharing the store do one thing at
   * a time, e.g. build an image once.
   */
  async withLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    using file = await Deno.open(`${this.dir}/${name}.lock`, {
      create: true,
      write: true,
    });
    await file.lock(true);
    try {
      return await fn();
    } finally {
      await file.unlock();
    }
  }
}

async function writeIfChanged(path: string, text: string): Promise<void> {
  const now = await Deno.readTextFile(path).catch(() => undefined);
  if (now !== text) {
    // Atomic, so a parallel reader never sees half a file.
    const temp = `${path}.${crypto.randomUUID()}`;
    await Deno.writeTextFile(temp, text, { mode: 0o600 });
    await Deno.rename(temp, path);
  }
}

/** 8 hex digits of the SHA-256 of `text`. */
async function shortHash(text: string): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(text),
  );
  return [...new Uint8Array(digest).slice(0, 4)]
    .map((byte) => byte.toString(16).padStart(2, "0")).join("");
}
