/**
 * The tiny workload image of podman tests: `FROM scratch` with a static
 * busybox, its applets in `/bin` (a working `sh`, `cat`, `sleep`, `yes`,
 * `ps`, …) and a `/tmp`, built locally because no registry can be reached.
 *
 * @module
 */
import { createHash } from "node:crypto";
import type { PodmanService } from "./podman_service.ts";

/** Options of {@linkcode buildWorkloadImage}. */
export interface BuildWorkloadImageOptions {
  /**
   * A statically linked busybox (Debian's `busybox-static`).
   *
   * @default {"/bin/busybox"}
   */
  busybox?: string;
}

/** What {@linkcode buildWorkloadImage} did. */
export interface WorkloadImage {
  /** The image reference, `localhost/fleet-workload:<content hash>`. */
  image: string;
  /** Whether it was built now (`false`: it was present). */
  built: boolean;
  /** How long the call took, in milliseconds. */
  ms: number;
}

/**
 * Thrown when the workload image cannot be built; says what is missing.
 *
 * @example
 * ```ts ignore
 * import { buildWorkloadImage, WorkloadImageError } from "@harmony/fleet/testing";
 * try {
 *   await buildWorkloadImage(service, { busybox: "/nonexistent/busybox" });
 * } catch (error) {
 *   if (error instanceof WorkloadImageError) console.error(error.message);
 * }
 * ```
 */
export class WorkloadImageError extends Error {
  /** Builds the error; `problem` completes "Cannot build the workload image: …". */
  constructor(problem: string, options?: ErrorOptions) {
    super(`Cannot build the workload image: ${problem}`, options);
    this.name = "WorkloadImageError";
  }
}

const REPOSITORY = "localhost/fleet-workload";
const CONTAINERFILE = [
  "FROM scratch",
  "COPY busybox /bin/busybox",
  'RUN ["/bin/busybox", "sh", "-c", "/bin/busybox --install -s /bin && mkdir -m 1777 /tmp"]',
  'CMD ["sh"]',
  "",
].join("\n");

/**
 * The tag of the workload image made from `busybox` (its bytes): a hash of
 * the Containerfile and the binary, so a changed busybox makes a new image.
 *
 * @example
 * ```ts
 * import { workloadImageTag } from "./workload_image.ts";
 * workloadImageTag(Uint8Array.of(1, 2, 3)); // "localhost/fleet-workload:<16 hex digits>"
 * ```
 */
export function workloadImageTag(busybox: Uint8Array): string {
  const hash = createHash("sha256")
    .update(CONTAINERFILE)
    .update(busybox)
    .digest("hex");
  return `${REPOSITORY}:${hash.slice(0, 16)}`;
}

/**
 * Builds the workload image into `service`'s storage with `podman build`
 * (the CLI on the service's `--root`), unless an image with its tag is
 * there already.
 *
 * @example
 * ```ts ignore
 * import { buildWorkloadImage, PodmanService } from "@harmony/fleet/testing";
 * await using service = await PodmanService.start();
 * const { image } = await buildWorkloadImage(service);
 * await service.runContainer({ name: "web", image, cmd: ["sh", "-c", "echo hi; sleep 600"] });
 * ```
 */
export async function buildWorkloadImage(
  service: Pick<PodmanService, "podman" | "dir">,
  options: BuildWorkloadImageOptions = {},
): Promise<WorkloadImage> {
  const started = performance.now();
  const busybox = options.busybox ?? "/bin/busybox";
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(busybox);
  } catch (cause) {
    throw new WorkloadImageError(
      `cannot read busybox ${
        JSON.stringify(busybox)
      } (install busybox-static): ${(cause as Error).message}`,
      { cause },
    );
  }
  const image = workloadImageTag(bytes);
  const present = await service.podman(["image", "exists", image], {
    check: false,
  });
  if (present.code === 0) {
    return { image, built: false, ms: performance.now() - started };
  }
  const context = await Deno.makeTempDir({
    dir: service.dir,
    prefix: "workload-image-",
  });
  try {
    await Deno.writeFile(`${context}/busybox`, bytes, { mode: 0o755 });
    await Deno.writeTextFile(`${context}/Containerfile`, CONTAINERFILE);
    const build = await service.podman([
      "build",
      "--network=none",
      "--pull=never",
      "--quiet",
      "--tag",
      image,
      "--file",
      `${context}/Containerfile`,
      context,
    ], { check: false });
    if (build.code !== 0) {
      throw new WorkloadImageError(
        `"podman build" exited with code ${build.code} (is ${
          JSON.stringify(busybox)
        } statically linked?): ${
          new TextDecoder().decode(build.stderr).trim().slice(-2000)
        }`,
      );
    }
  } finally {
    await Deno.remove(context, { recursive: true });
  }
  return { image, built: true, ms: performance.now() - started };
}
