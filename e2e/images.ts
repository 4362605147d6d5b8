/**
 * The agent, auth-callout and nats-server images of the e2e backends, built with podman
 * from local files only (no registry can be reached on the build
 * machines): `FROM scratch` with the local `deno` binary, the shared
 * libraries it loads (dynamic loader included) and the agent bundled by
 * `deno bundle`; and the nats-server binary the toolkit finds with its
 * libraries. Each is tagged with a content hash of what goes in
 * (`localhost/harmony-fleet-agent:e2e-<hash>`), not rebuilt while that tag
 * exists, and rebuilt when `FLEET_E2E_FORCE_REBUILD=1`.
 *
 * The agent image keeps the contract of the top-level `Dockerfile` (the
 * production image, `deno compile` → distroless): the same permission
 * flags ({@linkcode AGENT_PERMISSION_FLAGS}), user
 * ({@linkcode IMAGE_USER}), entrypoint and default command
 * (`--config` {@linkcode AGENT_IMAGE_CONFIG_PATH}), logs on stderr, SIGTERM
 * → exit 0, a missing config → exit 2 naming the path. The callout image
 * is built the same way from `callout/main.ts` and keeps the contract of
 * the `Dockerfile`'s `callout` stage ({@linkcode CALLOUT_PERMISSION_FLAGS},
 * config at {@linkcode CALLOUT_IMAGE_CONFIG_PATH}).
 *
 * @module
 */
import { AGENT_CONFIG_PATH, NATS_CONFIG_PATH } from "./k8s/names.ts";
import { findNatsServer } from "../testing/nats_server_binary.ts";
import {
  buildRootfsImage,
  ImageBuildError,
  type ImagePodman,
  type RootfsFile,
  type RootfsImageSpec,
} from "./_rootfs_image.ts";
import { sharedLibraries } from "./_shared_libraries.ts";

export { ImageBuildError, type ImagePodman } from "./_rootfs_image.ts";

/** The repository of the local agent image. */
export const AGENT_IMAGE_REPOSITORY = "localhost/harmony-fleet-agent";
/** The repository of the local auth-callout image. */
export const CALLOUT_IMAGE_REPOSITORY = "localhost/harmony-fleet-callout";
/** The repository of the local nats-server image. */
export const NATS_IMAGE_REPOSITORY = "localhost/harmony-fleet-nats";
/** Where the agent image reads its TOML config (its default command: `--config <this>`). */
export const AGENT_IMAGE_CONFIG_PATH: string = AGENT_CONFIG_PATH;
/**
 * Where the callout image reads its TOML config (its default command:
 * `--config <this>`); the seed, creds and TLS files it names go beside it.
 */
export const CALLOUT_IMAGE_CONFIG_PATH = "/etc/harmony-fleet/callout.toml";
/** Where the nats-server image reads its config (its default command: `--config <this>`). */
export const NATS_IMAGE_CONFIG_PATH: string = NATS_CONFIG_PATH;
/** The user both images run as: distroless's `nonroot` (uid and gid 65532). */
export const IMAGE_USER = "65532:65532";
/** The environment variable that makes the builders rebuild an image whose tag exists. */
export const FORCE_REBUILD_ENV = "FLEET_E2E_FORCE_REBUILD";

/**
 * The Deno permissions the agent runs with, in the `Dockerfile` (given to
 * `deno compile`) and in the local agent image (given to `deno run`); a
 * test checks that both say exactly this.
 *
 * - `--allow-read=/etc/harmony-fleet,/run/podman/podman.sock`: the config
 *   and whatever it names (creds file, TLS files: mount them under
 *   `/etc/harmony-fleet/`), and the podman socket the runtime probe
 *   inspects (`Deno.stat`).
 * - `--allow-write=/run/podman/podman.sock`: connecting to a unix socket
 *   needs read and write access to its path (the API client, and the
 *   upgraded connection of `exec`).
 * - `--allow-net`: the NATS servers (any host and port, named by the config
 *   only at run time; DNS lookups of their names) and the unix transport of
 *   the podman API client (`unix:<path>` net access).
 * - `--allow-env=CONTAINER_HOST,XDG_RUNTIME_DIR`: the runtime probe reads
 *   them when the config names no `[runtime] socket`.
 * - `--allow-run`: host exec (`[exec] allow_host = true`) runs any argv, and
 *   `Deno.kill` (ending a podman exec session at its deadline, on cancel or
 *   at its limit; ending a host exec's process group) needs the
 *   unrestricted flag.
 *
 * No `--allow-sys`, `--allow-ffi` or `--allow-import`: the agent uses none.
 * The podman socket is expected at `/run/podman/podman.sock` (the rootful
 * default); a socket elsewhere is refused by the permissions.
 *
 * @example
 * ```ts
 * import { AGENT_PERMISSION_FLAGS } from "./images.ts";
 * AGENT_PERMISSION_FLAGS.includes("--allow-run"); // true
 * ```
 */
export const AGENT_PERMISSION_FLAGS: readonly string[] = Object.freeze([
  "--allow-read=/etc/harmony-fleet,/run/podman/podman.sock",
  "--allow-write=/run/podman/podman.sock",
  "--allow-net",
  "--allow-env=CONTAINER_HOST,XDG_RUNTIME_DIR",
  "--allow-run",
]);

/**
 * The Deno permissions the auth callout runs with, in the `Dockerfile`'s
 * `callout` stage (given to `deno compile`) and in the local callout image
 * (given to `deno run`); a test checks that both say exactly this.
 *
 * - `--allow-read=/etc/harmony-fleet`: the config and the files it names
 *   (issuer and xkey seeds, creds file, TLS files: mount them under
 *   `/etc/harmony-fleet/`).
 * - `--allow-net`: the NATS servers and the OIDC issuer (discovery and
 *   JWKS over HTTPS), both named by the config only at run time.
 *
 * No `--allow-write`, `--allow-env`, `--allow-run`, `--allow-sys`,
 * `--allow-ffi` or `--allow-import`: the service uses none (`init`, which
 * writes files, is run outside the image).
 *
 * @example
 * ```ts
 * import { CALLOUT_PERMISSION_FLAGS } from "./images.ts";
 * CALLOUT_PERMISSION_FLAGS.includes("--allow-run"); // false
 * ```
 */
export const CALLOUT_PERMISSION_FLAGS: readonly string[] = Object.freeze([
  "--allow-read=/etc/harmony-fleet",
  "--allow-net",
]);

/** An image built (or found) by {@linkcode buildAgentImage}, {@linkcode buildCalloutImage} or {@linkcode buildNatsImage}. */
export interface LocalImage {
  /** `<repository>:e2e-<16 hex digits of a SHA-256 of what goes in>`. */
  reference: string;
  /** Whether it was built now (`false`: the tag was in the storage already). */
  built: boolean;
  /** The image's size in podman's storage, in bytes. */
  sizeBytes: number;
  /** How long the call took, in milliseconds. */
  ms: number;
}

/** Options of {@linkcode buildAgentImage}. */
export interface BuildAgentImageOptions {
  /**
   * The `deno` binary that goes into the image (and bundles the agent).
   *
   * @default {Deno.execPath()}
   */
  deno?: string;
  /**
   * The agent's entry module (a local file).
   *
   * @default {this package's `agent/main.ts`}
   */
  entry?: string | URL;
  /**
   * Build even when the tag exists.
   *
   * @default {Deno.env.get("FLEET_E2E_FORCE_REBUILD") === "1"}
   */
  force?: boolean;
}

/** Options of {@linkcode buildCalloutImage}. */
export interface BuildCalloutImageOptions {
  /**
   * The `deno` binary that goes into the image (and bundles the callout).
   *
   * @default {Deno.execPath()}
   */
  deno?: string;
  /**
   * The callout's entry module (a local file).
   *
   * @default {this package's `callout/main.ts`}
   */
  entry?: string | URL;
  /**
   * Build even when the tag exists.
   *
   * @default {Deno.env.get("FLEET_E2E_FORCE_REBUILD") === "1"}
   */
  force?: boolean;
}

/** Options of {@linkcode buildNatsImage}. */
export interface BuildNatsImageOptions {
  /**
   * The nats-server binary that goes into the image.
   *
   * @default {findNatsServer()}
   */
  natsServer?: string;
  /**
   * Build even when the tag exists.
   *
   * @default {Deno.env.get("FLEET_E2E_FORCE_REBUILD") === "1"}
   */
  force?: boolean;
}

const AGENT_BUNDLE_PATH = "/app/agent.js";
const CALLOUT_BUNDLE_PATH = "/app/callout.js";
const DENO_PATH = "/usr/bin/deno";
const NATS_SERVER_PATH = "/usr/local/bin/nats-server";

/**
 * The `deno run` argv of the local agent image's entrypoint: no remote
 * imports, no prompt, {@linkcode AGENT_PERMISSION_FLAGS}, the bundle.
 *
 * @example
 * ```ts
 * import { agentImageEntrypoint } from "./images.ts";
 * agentImageEntrypoint()[0]; // "/usr/bin/deno"
 * ```
 */
export function agentImageEntrypoint(): string[] {
  return [
    DENO_PATH,
    "run",
    "--no-remote",
    "--no-prompt",
    ...AGENT_PERMISSION_FLAGS,
    AGENT_BUNDLE_PATH,
  ];
}

/**
 * Builds the local agent image into `podman`'s storage (see the module
 * docs): bundles the agent with `deno bundle --platform deno`, then builds
 * `FROM scratch` with `deno`, its shared libraries and the bundle, unless
 * the image's tag exists already. Runs as {@linkcode IMAGE_USER}, `DENO_DIR`
 * in `/tmp`.
 *
 * @throws {ImageBuildError} naming what could not be read, bundled or built.
 * @example
 * ```ts ignore
 * import { buildAgentImage } from "@harmony/fleet/e2e";
 * import { PodmanService } from "@harmony/fleet/testing";
 * await using podman = await PodmanService.start();
 * const { reference, built, sizeBytes } = await buildAgentImage(podman);
 * // "localhost/harmony-fleet-agent:e2e-…"; run it with the config mounted at
 * // /etc/harmony-fleet/agent.toml
 * ```
 */
export async function buildAgentImage(
  podman: ImagePodman,
  options: BuildAgentImageOptions = {},
): Promise<LocalImage> {
  const started = performance.now();
  const deno = options.deno ?? Deno.execPath();
  const what = "the agent image";
  const bundle = await bundleEntry(
    { what, repository: AGENT_IMAGE_REPOSITORY, name: "agent" },
    deno,
    options.entry ?? new URL("../agent/main.ts", import.meta.url),
    podman.dir,
  );
  const spec: RootfsImageSpec = {
    what,
    repository: AGENT_IMAGE_REPOSITORY,
    files: [
      { path: DENO_PATH, source: deno },
      ...await libraryFiles(what, AGENT_IMAGE_REPOSITORY, deno),
      { path: AGENT_BUNDLE_PATH, bytes: bundle },
    ],
    dirs: [
      { path: "/tmp", mode: 0o1777 },
      { path: dirname(AGENT_IMAGE_CONFIG_PATH), mode: 0o755 },
    ],
    instructions: [
      "ENV DENO_DIR=/tmp/deno-dir DENO_NO_UPDATE_CHECK=1",
      `USER ${IMAGE_USER}`,
      `ENTRYPOINT ${JSON.stringify(agentImageEntrypoint())}`,
      `CMD ${JSON.stringify(["--config", AGENT_IMAGE_CONFIG_PATH])}`,
    ],
  };
  const image = await buildRootfsImage(podman, {
    ...spec,
    force: options.force ?? forceFromEnv(),
  });
  return { ...image, ms: performance.now() - started };
}

/**
 * The `deno run` argv of the local callout image's entrypoint: no remote
 * imports, no prompt, {@linkcode CALLOUT_PERMISSION_FLAGS}, the bundle.
 *
 * @example
 * ```ts
 * import { calloutImageEntrypoint } from "./images.ts";
 * calloutImageEntrypoint().at(-1); // "/app/callout.js"
 * ```
 */
export function calloutImageEntrypoint(): string[] {
  return [
    DENO_PATH,
    "run",
    "--no-remote",
    "--no-prompt",
    ...CALLOUT_PERMISSION_FLAGS,
    CALLOUT_BUNDLE_PATH,
  ];
}

/**
 * Builds the local auth-callout image into `podman`'s storage, as
 * {@linkcode buildAgentImage} does the agent's: `FROM scratch` with
 * `deno`, its shared libraries and `callout/main.ts` bundled by
 * `deno bundle --platform deno`, unless the tag exists already. Runs as
 * {@linkcode IMAGE_USER} with {@linkcode CALLOUT_PERMISSION_FLAGS};
 * default command `--config` {@linkcode CALLOUT_IMAGE_CONFIG_PATH}; logs
 * are JSON lines on stderr, SIGTERM → exit 0, a bad config → exit 2
 * naming the key.
 *
 * @throws {ImageBuildError} naming what could not be read, bundled or built.
 * @example
 * ```ts ignore
 * import { buildCalloutImage } from "@harmony/fleet/e2e";
 * import { PodmanService } from "@harmony/fleet/testing";
 * await using podman = await PodmanService.start();
 * const { reference } = await buildCalloutImage(podman);
 * // "localhost/harmony-fleet-callout:e2e-…"; mount callout.toml and the
 * // seeds it names under /etc/harmony-fleet/
 * ```
 */
export async function buildCalloutImage(
  podman: ImagePodman,
  options: BuildCalloutImageOptions = {},
): Promise<LocalImage> {
  const started = performance.now();
  const deno = options.deno ?? Deno.execPath();
  const what = "the callout image";
  const bundle = await bundleEntry(
    { what, repository: CALLOUT_IMAGE_REPOSITORY, name: "callout" },
    deno,
    options.entry ?? new URL("../callout/main.ts", import.meta.url),
    podman.dir,
  );
  const image = await buildRootfsImage(podman, {
    what,
    repository: CALLOUT_IMAGE_REPOSITORY,
    files: [
      { path: DENO_PATH, source: deno },
      ...await libraryFiles(what, CALLOUT_IMAGE_REPOSITORY, deno),
      { path: CALLOUT_BUNDLE_PATH, bytes: bundle },
    ],
    dirs: [
      { path: "/tmp", mode: 0o1777 },
      { path: dirname(CALLOUT_IMAGE_CONFIG_PATH), mode: 0o755 },
    ],
    instructions: [
      "ENV DENO_DIR=/tmp/deno-dir DENO_NO_UPDATE_CHECK=1",
      `USER ${IMAGE_USER}`,
      `ENTRYPOINT ${JSON.stringify(calloutImageEntrypoint())}`,
      `CMD ${JSON.stringify(["--config", CALLOUT_IMAGE_CONFIG_PATH])}`,
    ],
    force: options.force ?? forceFromEnv(),
  });
  return { ...image, ms: performance.now() - started };
}

/**
 * Builds the local nats-server image into `podman`'s storage: `FROM
 * scratch` with the nats-server binary the toolkit finds (or
 * `natsServer`) and its shared libraries, `/data` and `/tmp` writable,
 * running as {@linkcode IMAGE_USER}; entrypoint the binary, default
 * command `--config` {@linkcode NATS_IMAGE_CONFIG_PATH}.
 *
 * @throws {ImageBuildError} naming what could not be read or built.
 * @example
 * ```ts ignore
 * import { buildNatsImage } from "@harmony/fleet/e2e";
 * import { PodmanService } from "@harmony/fleet/testing";
 * await using podman = await PodmanService.start();
 * const { reference } = await buildNatsImage(podman);
 * // "localhost/harmony-fleet-nats:e2e-…"; mount a config at /etc/nats/nats-server.conf
 * ```
 */
export async function buildNatsImage(
  podman: ImagePodman,
  options: BuildNatsImageOptions = {},
): Promise<LocalImage> {
  const started = performance.now();
  const what = "the nats-server image";
  const natsServer = options.natsServer ?? await findNatsServer();
  const spec: RootfsImageSpec = {
    what,
    repository: NATS_IMAGE_REPOSITORY,
    files: [
      { path: NATS_SERVER_PATH, source: natsServer },
      ...await libraryFiles(what, NATS_IMAGE_REPOSITORY, natsServer),
    ],
    dirs: [
      { path: "/tmp", mode: 0o1777 },
      { path: "/data", mode: 0o1777 },
      { path: dirname(NATS_IMAGE_CONFIG_PATH), mode: 0o755 },
    ],
    instructions: [
      `USER ${IMAGE_USER}`,
      "EXPOSE 4222 8222",
      `ENTRYPOINT ${JSON.stringify([NATS_SERVER_PATH])}`,
      `CMD ${JSON.stringify(["--config", NATS_IMAGE_CONFIG_PATH])}`,
    ],
  };
  const image = await buildRootfsImage(podman, {
    ...spec,
    force: options.force ?? forceFromEnv(),
  });
  return { ...image, ms: performance.now() - started };
}

function forceFromEnv(): boolean {
  return Deno.env.get(FORCE_REBUILD_ENV) === "1";
}

function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}

/** The shared libraries of `binary`, each at the path the loader looks for it. */
async function libraryFiles(
  what: string,
  repository: string,
  binary: string,
): Promise<RootfsFile[]> {
  try {
    const paths = await sharedLibraries(binary);
    return paths.map((path) => ({ path, source: path }));
  } catch (cause) {
    throw new ImageBuildError((cause as Error).message, {
      what,
      repository,
      cause,
    });
  }
}

/** `deno bundle --platform deno <entry>`: the bundle's bytes. */
async function bundleEntry(
  image: { what: string; repository: string; name: string },
  deno: string,
  entry: string | URL,
  tmpParent: string,
): Promise<Uint8Array> {
  const fail = (problem: string, cause?: unknown): never => {
    throw new ImageBuildError(problem, {
      what: image.what,
      repository: image.repository,
      ...(cause === undefined ? {} : { cause }),
    });
  };
  const url = entry instanceof URL ? entry : new URL(entry, import.meta.url);
  if (url.protocol !== "file:") {
    fail(
      `the ${image.name} entry ${
        JSON.stringify(url.href)
      } is not a local file (bundle from a checkout of the package)`,
    );
  }
  const path = decodeURIComponent(url.pathname);
  const config = decodeURIComponent(new URL("../deno.json", url).pathname);
  const hasConfig = (await Deno.stat(config).catch(() => undefined))?.isFile;
  const dir = await Deno.makeTempDir({ dir: tmpParent, prefix: "bundle-" });
  try {
    const out = `${dir}/${image.name}.js`;
    let output: Deno.CommandOutput | undefined;
    try {
      output = await new Deno.Command(deno, {
        args: [
          "bundle",
          "--quiet",
          "--platform",
          "deno",
          ...(hasConfig ? ["--config", config] : []),
          "--output",
          out,
          path,
        ],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
    } catch (cause) {
      fail(
        `cannot run ${JSON.stringify(deno)}: ${(cause as Error).message}`,
        cause,
      );
    }
    if (!output!.success) {
      fail(
        `"deno bundle ${path}" exited with code ${output!.code}: ${
          new TextDecoder().decode(output!.stderr).trim().slice(-2000)
        }`,
      );
    }
    return await Deno.readFile(out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
