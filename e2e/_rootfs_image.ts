// A FROM scratch image made of local files only (no registry, no RUN: a
// Containerfile of COPY and metadata), tagged with a content hash of what
// goes in, built with `podman build` on a podman service's storage (its
// --root and CONTAINERS_CONF), skipped when the tag is there. Private to
// e2e/; e2e/images.ts builds the agent and nats-server images with it.
import { createHash } from "node:crypto";
import type { PodmanRun } from "../testing/podman_service.ts";

/**
 * The podman the image builders use: its CLI on some storage (with
 * `check: false`, a non-zero exit is returned, not thrown) and a directory
 * for build contexts. A `PodmanService` of `testing/` is one.
 *
 * @example
 * ```ts ignore
 * import { buildAgentImage } from "@harmony/fleet/e2e";
 * import { PodmanService } from "@harmony/fleet/testing";
 * await using service = await PodmanService.start(); // an ImagePodman
 * await buildAgentImage(service);
 * ```
 */
export interface ImagePodman {
  /** A directory for temporary build contexts. */
  readonly dir: string;
  /** Runs `podman <args>` on the storage the images go to. */
  podman(
    args: readonly string[],
    options?: { check?: boolean },
  ): Promise<PodmanRun>;
}

/** One file of the image: a host file, or bytes, at an absolute path in the image. */
export interface RootfsFile {
  /** Absolute path in the image, e.g. `/usr/bin/deno`. */
  path: string;
  /** The host file copied there (its content, links followed). */
  source?: string;
  /** Or the bytes written there. */
  bytes?: Uint8Array;
  /** Its mode. @default {0o755 for `source`, 0o644 for `bytes`} */
  mode?: number;
}

/** One empty directory of the image (e.g. `/tmp`, a mount point). */
export interface RootfsDir {
  /** Absolute path in the image. */
  path: string;
  /** Its mode, e.g. `0o1777` for `/tmp`. */
  mode: number;
}

/** What goes into one image. */
export interface RootfsImageSpec {
  /** What the image is, for messages: `"the agent image"`. */
  what: string;
  /** The repository, e.g. `localhost/harmony-fleet-agent`; the tag is `e2e-<hash>`. */
  repository: string;
  /** The files. */
  files: readonly RootfsFile[];
  /** Empty directories. @default {[]} */
  dirs?: readonly RootfsDir[];
  /** Containerfile lines after `FROM scratch` and `COPY rootfs/ /` (USER, ENV, ENTRYPOINT, …). */
  instructions: readonly string[];
  /** Build even when the tag exists. @default {false} */
  force?: boolean;
}

/** The outcome of {@linkcode buildRootfsImage}. */
export interface RootfsImage {
  /** `<repository>:e2e-<16 hex digits>`. */
  reference: string;
  /** Whether it was built now (`false`: the tag was there). */
  built: boolean;
  /** The image's size in podman's storage, in bytes. */
  sizeBytes: number;
  /** How long the call took, in milliseconds. */
  ms: number;
}

/**
 * Thrown when an image cannot be built: the message says which image and
 * what failed (a file that cannot be read, `deno bundle`, `ldd`, `podman
 * build`), with the tail of the tool's output.
 *
 * @example
 * ```ts ignore
 * import { buildNatsImage, ImageBuildError } from "@harmony/fleet/e2e";
 * try {
 *   await buildNatsImage(podman, { natsServer: "/nonexistent/nats-server" });
 * } catch (error) {
 *   if (error instanceof ImageBuildError) console.error(error.repository, error.message);
 * }
 * ```
 */
export class ImageBuildError extends Error {
  /** The repository of the image, e.g. `localhost/harmony-fleet-agent`. */
  readonly repository: string;

  /**
   * Builds the error; the message is "Cannot build <what>: <problem>", e.g.
   * "Cannot build the agent image: …".
   */
  constructor(
    problem: string,
    options: ErrorOptions & { what: string; repository: string },
  ) {
    super(`Cannot build ${options.what}: ${problem}`, options);
    this.name = "ImageBuildError";
    this.repository = options.repository;
  }
}

/** The Containerfile of `spec`. */
export function renderContainerfile(spec: RootfsImageSpec): string {
  return ["FROM scratch", "COPY rootfs/ /", ...spec.instructions, ""].join(
    "\n",
  );
}

/**
 * The image reference of `spec`: a SHA-256 over the Containerfile and each
 * file and directory (path, mode, content), sorted by path.
 */
export async function rootfsImageReference(
  spec: RootfsImageSpec,
): Promise<string> {
  const hash = createHash("sha256").update(renderContainerfile(spec));
  const entries = [
    ...spec.files.map((file) => ({ kind: "file" as const, file })),
    ...(spec.dirs ?? []).map((dir) => ({ kind: "dir" as const, dir })),
  ].sort((a, b) => pathOf(a) < pathOf(b) ? -1 : 1);
  for (const entry of entries) {
    if (entry.kind === "dir") {
      hash.update(`\0dir\0${entry.dir.path}\0${entry.dir.mode}\0`);
      continue;
    }
    const { file } = entry;
    hash.update(`\0file\0${file.path}\0${modeOf(file)}\0`);
    if (file.bytes !== undefined) {
      hash.update(file.bytes);
      continue;
    }
    using handle = await openSource(spec, file);
    for await (const chunk of handle.readable) hash.update(chunk);
  }
  return `${spec.repository}:e2e-${hash.digest("hex").slice(0, 16)}`;
}

/**
 * Builds `spec` into `podman`'s storage unless its reference is there
 * already (or `spec.force`), and returns the reference, whether it was built and
 * the image's size.
 */
export async function buildRootfsImage(
  podman: ImagePodman,
  spec: RootfsImageSpec,
): Promise<RootfsImage> {
  const started = performance.now();
  const reference = await rootfsImageReference(spec);
  const fail = (problem: string): never => {
    throw new ImageBuildError(problem, spec);
  };
  let built = false;
  const present = await podman.podman(["image", "exists", reference], {
    check: false,
  });
  if (spec.force || present.code !== 0) {
    const context = await Deno.makeTempDir({
      dir: podman.dir,
      prefix: "rootfs-image-",
    });
    try {
      await writeRootfs(spec, `${context}/rootfs`);
      await Deno.writeTextFile(
        `${context}/Containerfile`,
        renderContainerfile(spec),
      );
      const build = await podman.podman([
        "build",
        "--network=none",
        "--pull=never",
        "--quiet",
        "--tag",
        reference,
        "--file",
        `${context}/Containerfile`,
        context,
      ], { check: false });
      if (build.code !== 0) {
        fail(
          `"podman build" exited with code ${build.code}: ${
            new TextDecoder().decode(build.stderr).trim().slice(-2000)
          }`,
        );
      }
      built = true;
    } finally {
      await Deno.remove(context, { recursive: true });
    }
  }
  const inspect = await podman.podman([
    "image",
    "inspect",
    "--format",
    "{{.Size}}",
    reference,
  ], { check: false });
  const sizeBytes = Number(new TextDecoder().decode(inspect.stdout).trim());
  if (inspect.code !== 0 || !Number.isSafeInteger(sizeBytes)) {
    fail(
      `"podman image inspect ${reference}" exited with code ${inspect.code}: ${
        new TextDecoder().decode(inspect.stderr).trim().slice(-500)
      }`,
    );
  }
  return { reference, built, sizeBytes, ms: performance.now() - started };
}

async function writeRootfs(spec: RootfsImageSpec, root: string): Promise<void> {
  await Deno.mkdir(root, { recursive: true });
  for (const dir of spec.dirs ?? []) {
    const path = `${root}${dir.path}`;
    await Deno.mkdir(path, { recursive: true });
    await Deno.chmod(path, dir.mode);
  }
  for (const file of spec.files) {
    const path = `${root}${file.path}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), {
      recursive: true,
    });
    if (file.bytes !== undefined) {
      await Deno.writeFile(path, file.bytes);
    } else {
      openSource(spec, file).close();
      await Deno.copyFile(file.source!, path);
    }
    await Deno.chmod(path, modeOf(file));
  }
}

function openSource(spec: RootfsImageSpec, file: RootfsFile): Deno.FsFile {
  if (file.source === undefined) {
    throw new TypeError(
      `Cannot build ${spec.what}: ${
        JSON.stringify(file.path)
      } has neither source nor bytes`,
    );
  }
  try {
    return Deno.openSync(file.source);
  } catch (cause) {
    throw new ImageBuildError(
      `cannot read ${JSON.stringify(file.source)} (for ${
        JSON.stringify(file.path)
      }): ${(cause as Error).message}`,
      { what: spec.what, repository: spec.repository, cause },
    );
  }
}

function modeOf(file: RootfsFile): number {
  return file.mode ?? (file.bytes !== undefined ? 0o644 : 0o755);
}

function pathOf(
  entry: { kind: "file"; file: RootfsFile } | { kind: "dir"; dir: RootfsDir },
): string {
  return entry.kind === "file" ? entry.file.path : entry.dir.path;
}
