/**
 * Finds a nats-server ≥ 2.10 binary, installing one into the toolkit's cache
 * when none is found.
 *
 * @module
 */
import {
  compareVersions,
  formatVersion,
  MIN_NATS_SERVER_VERSION,
  parseNatsServerVersion,
  type SemVer,
} from "./_version.ts";
import {
  DEFAULT_INSTALL_STEPS,
  DownloadError,
  type InstallSteps,
  probeVersion,
  RELEASE_VERSION,
  type StagedBinary,
} from "./_nats_server_install.ts";

/** Environment variable naming the nats-server binary to use. */
export const NATS_SERVER_BIN_ENV = "NATS_SERVER_BIN";

/** Options of {@linkcode findNatsServer}. */
export interface FindNatsServerOptions {
  /**
   * The environment read for `NATS_SERVER_BIN`, `PATH`, `FLEET_CACHE_DIR`,
   * `XDG_CACHE_HOME` and `HOME`.
   *
   * @default {Deno.env.toObject()}
   */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Install nats-server into the cache when it is found nowhere.
   *
   * @default {true}
   */
  install?: boolean;
  /**
   * Receives one line per install step.
   *
   * @default {writes `[fleet] nats-server: <line>` to stderr}
   */
  log?: (line: string) => void;
}

/**
 * Thrown when no usable nats-server can be found or installed. The message
 * lists what was tried and how to provide the binary.
 *
 * @example
 * ```ts ignore
 * import { findNatsServer, NatsServerNotFoundError } from "@harmony/fleet/e2e";
 * try {
 *   await findNatsServer({ install: false });
 * } catch (error) {
 *   if (error instanceof NatsServerNotFoundError) console.error(error.message);
 * }
 * ```
 */
export class NatsServerNotFoundError extends Error {
  /** What was tried, one line each. */
  readonly attempts: readonly string[];

  /** Builds the error from the attempts made. */
  constructor(
    message: string,
    attempts: readonly string[],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "NatsServerNotFoundError";
    this.attempts = attempts;
  }
}

/**
 * The toolkit's cache directory: `$FLEET_CACHE_DIR`, else
 * `$XDG_CACHE_HOME/harmony-fleet`, else `~/.cache/harmony-fleet`.
 *
 * @example
 * ```ts
 * import { fleetCacheDir } from "@harmony/fleet/e2e";
 * fleetCacheDir({ HOME: "/home/ada" }); // "/home/ada/.cache/harmony-fleet"
 * ```
 */
export function fleetCacheDir(
  env: Readonly<Record<string, string | undefined>> = Deno.env.toObject(),
): string {
  if (env.FLEET_CACHE_DIR) return env.FLEET_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return `${env.XDG_CACHE_HOME}/harmony-fleet`;
  if (env.HOME) return `${env.HOME}/.cache/harmony-fleet`;
  throw new NatsServerNotFoundError(
    "Cannot locate the toolkit's cache: none of FLEET_CACHE_DIR, XDG_CACHE_HOME or HOME is set",
    [],
  );
}

const versions = new Map<string, Promise<SemVer>>();

/** `<path> --version`, memoised per path for the life of the process. */
function versionOf(path: string): Promise<SemVer> {
  let version = versions.get(path);
  if (!version) {
    version = probeVersion(path);
    versions.set(path, version);
    version.catch(() => versions.delete(path));
  }
  return version;
}

async function isExecutableFile(path: string): Promise<boolean> {
  const info = await Deno.stat(path).catch(() => undefined);
  return !!info?.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
}

function isRecentEnough(version: SemVer): boolean {
  return compareVersions(version, MIN_NATS_SERVER_VERSION) >= 0;
}

const MIN = formatVersion(MIN_NATS_SERVER_VERSION);
const MIN_SHORT =
  `${MIN_NATS_SERVER_VERSION.major}.${MIN_NATS_SERVER_VERSION.minor}`;

/**
 * Finds a nats-server ≥ 2.10 and returns its path. Looks, in order, at:
 * `$NATS_SERVER_BIN` (which must then be a working executable), `nats-server`
 * on `PATH` (only if `--version` says ≥ 2.10), and the toolkit's cache
 * (`<cache>/nats-server-<version>/nats-server`). Otherwise installs it into
 * the cache, saying so on stderr: the official release archive, then, on a
 * Debian machine, the Debian 13 package through the machine's own mirror.
 *
 * @example
 * ```ts ignore
 * import { findNatsServer } from "@harmony/fleet/e2e";
 * const natsServer = await findNatsServer();
 * ```
 */
export function findNatsServer(
  options: FindNatsServerOptions = {},
): Promise<string> {
  return findNatsServerWith(options, DEFAULT_INSTALL_STEPS);
}

/**
 * {@linkcode findNatsServer} with the install steps given (tests replace
 * the download). Not part of the public API.
 *
 * @example
 * ```ts ignore
 * const path = await findNatsServerWith({ log: console.log }, steps);
 * ```
 */
export async function findNatsServerWith(
  options: FindNatsServerOptions,
  steps: InstallSteps,
): Promise<string> {
  const env = options.env ?? Deno.env.toObject();
  const log = options.log ??
    ((line: string) => console.error(`[fleet] nats-server: ${line}`));
  const attempts: string[] = [];

  const fromEnv = env[NATS_SERVER_BIN_ENV];
  if (fromEnv) {
    if (!(await isExecutableFile(fromEnv))) {
      throw new NatsServerNotFoundError(
        `${NATS_SERVER_BIN_ENV}="${fromEnv}" is not an executable file; point it at a nats-server ≥ ${MIN} binary or unset it`,
        [`${NATS_SERVER_BIN_ENV}: "${fromEnv}" is not an executable file`],
      );
    }
    const version = await versionOf(fromEnv).catch((cause) => {
      throw new NatsServerNotFoundError(
        `${NATS_SERVER_BIN_ENV}="${fromEnv}" does not run as nats-server: ${
          errorText(cause)
        }`,
        [],
        { cause },
      );
    });
    if (!isRecentEnough(version)) {
      throw new NatsServerNotFoundError(
        `${NATS_SERVER_BIN_ENV}="${fromEnv}" is nats-server ${
          formatVersion(version)
        }; ≥ ${MIN} is required`,
        [],
      );
    }
    return fromEnv;
  }
  attempts.push(`${NATS_SERVER_BIN_ENV}: not set`);

  // What was found and why it is not used, said once before installing.
  let pathFinding: string;
  const onPath = await findOnPath(env.PATH ?? "");
  if (onPath) {
    const probe = await versionOf(onPath).then(
      (version) => ({ version }),
      (error) => ({ error }),
    );
    if ("version" in probe && isRecentEnough(probe.version)) return onPath;
    attempts.push(
      `PATH: "${onPath}" is ${
        "version" in probe
          ? `version ${formatVersion(probe.version)}`
          : "not runnable"
      }; ≥ ${MIN} is required`,
    );
    pathFinding = "version" in probe
      ? `nats-server ${
        formatVersion(probe.version)
      } on PATH at "${onPath}" is too old (need ≥ ${MIN_SHORT})`
      : `nats-server on PATH at "${onPath}" does not tell its version (${
        errorText(probe.error)
      })`;
  } else {
    attempts.push(`PATH: no "nats-server"`);
    pathFinding = "no nats-server on PATH";
  }

  const cache = fleetCacheDir(env);
  const cached = await findInCache(cache);
  if (cached) return cached;
  attempts.push(
    `cache: no usable "${cache}/nats-server-<version>/nats-server"`,
  );

  if (options.install !== false) {
    log(`${pathFinding}, and the cache "${cache}" has none`);
    try {
      return await install(cache, { log, attempts, steps });
    } catch (cause) {
      attempts.push(`install: ${errorText(cause)}`);
    }
  }
  throw new NatsServerNotFoundError(
    [
      `Cannot find nats-server ≥ ${MIN}. Tried:`,
      ...attempts.map((attempt) => `  - ${attempt}`),
      "Provide it in one of these ways:",
      `  - set ${NATS_SERVER_BIN_ENV}=/path/to/nats-server`,
      `  - put nats-server ≥ ${MIN} on PATH`,
      `  - place the binary at "${cache}/nats-server-${RELEASE_VERSION}/nats-server"`,
    ].join("\n"),
    attempts,
  );
}

async function findOnPath(path: string): Promise<string | undefined> {
  for (const dir of path.split(":")) {
    if (!dir) continue;
    const candidate = `${dir}/nats-server`;
    if (await isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

async function findInCache(cache: string): Promise<string | undefined> {
  const candidates: { path: string; version: SemVer }[] = [];
  try {
    for await (const entry of Deno.readDir(cache)) {
      const match = /^nats-server-(.+)$/.exec(entry.name);
      const version = match && parseNatsServerVersion(match[1]);
      if (entry.isDirectory && version && isRecentEnough(version)) {
        candidates.push({
          path: `${cache}/${entry.name}/nats-server`,
          version,
        });
      }
    }
  } catch {
    return undefined;
  }
  candidates.sort((a, b) => compareVersions(b.version, a.version));
  for (const { path } of candidates) {
    if (!(await isExecutableFile(path))) continue;
    const version = await versionOf(path).catch(() => undefined);
    if (version && isRecentEnough(version)) return path;
  }
  return undefined;
}

/**
 * Installs into `<cache>/nats-server-<version>/` atomically: everything is
 * staged in a private temp dir, then renamed into place; a concurrent
 * installer that wins the rename is simply used.
 */
async function install(
  cache: string,
  context: {
    log: (line: string) => void;
    attempts: string[];
    steps: InstallSteps;
  },
): Promise<string> {
  const { log } = context;
  await Deno.mkdir(cache, { recursive: true });
  const work = await Deno.makeTempDir({ dir: cache, prefix: ".install-" });
  try {
    log(
      `installing nats-server into "${cache}" (once; this takes a few seconds)…`,
    );
    const staged = await stage(work, context);
    const version = await probeVersion(staged.path);
    if (!isRecentEnough(version)) {
      throw new Error(
        `the ${staged.source} binary is nats-server ${
          formatVersion(version)
        }; ≥ ${MIN} is required`,
      );
    }
    const ready = `${work}/ready`;
    await Deno.mkdir(ready);
    await Deno.rename(staged.path, `${ready}/nats-server`);
    await Deno.chmod(`${ready}/nats-server`, 0o755);
    const target = `${cache}/nats-server-${formatVersion(version)}`;
    try {
      await Deno.rename(ready, target);
    } catch (cause) {
      // Another process installed the same version first: use theirs.
      if (!(await isExecutableFile(`${target}/nats-server`))) throw cause;
    }
    log(
      `installed nats-server ${
        formatVersion(version)
      } at "${target}/nats-server"`,
    );
    return `${target}/nats-server`;
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
}

/** The release archive, else the Debian package; one calm line between. */
async function stage(
  work: string,
  context: {
    log: (line: string) => void;
    attempts: string[];
    steps: InstallSteps;
  },
): Promise<StagedBinary> {
  const { log, attempts, steps } = context;
  const releaseDir = `${work}/release`;
  await Deno.mkdir(releaseDir);
  try {
    return await steps.release(releaseDir, log);
  } catch (cause) {
    log(
      cause instanceof DownloadError
        ? `release archive not reachable (${cause.reason}); trying the Debian package`
        : `release archive not usable (${
          errorText(cause)
        }); trying the Debian package`,
    );
    attempts.push(`release archive: ${errorText(cause)}`);
  }
  const debianDir = `${work}/debian`;
  await Deno.mkdir(debianDir);
  try {
    return await steps.debian(debianDir, log);
  } catch (cause) {
    throw new Error(`Debian package: ${errorText(cause)}`, { cause });
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
