// The workload image of podman stacks, built once per machine: the first
// stack builds it (testing/workload_image.ts) and saves it as an OCI archive
// in the toolkit's cache, named by its content hash; later stacks load that
// archive into their own storage (about 0.5 s instead of a 3 s build).
// Private to e2e/.
import {
  buildWorkloadImage,
  type PodmanService,
  workloadImageTag,
} from "../testing/mod.ts";
import { fleetCacheDir } from "../testing/nats_server_binary.ts";

/** Where the image came from. */
export type WorkloadImageSource = "cache" | "built";

/** The workload image of a stack. */
export interface StackWorkloadImage {
  /** `localhost/fleet-workload:<content hash>`. */
  image: string;
  /** Loaded from the cache's archive, or built now (and saved to the cache). */
  source: WorkloadImageSource;
  /** How long it took, in milliseconds. */
  ms: number;
}

/** Options of {@linkcode provideWorkloadImage}. */
export interface ProvideWorkloadImageOptions {
  /** The toolkit's cache dir. @default {fleetCacheDir()} */
  cacheDir?: string;
  /** A statically linked busybox. @default {"/bin/busybox"} */
  busybox?: string;
}

/** The archive of the image tagged `image` in `cacheDir`. */
export function workloadArchivePath(cacheDir: string, image: string): string {
  return `${cacheDir}/workload-images/${image.split(":").at(-1)}.oci.tar`;
}

/**
 * Puts the workload image into `service`'s storage: loaded from the cache's
 * archive when there is one that loads, else built (and saved to the cache
 * for the next stack; a cache that cannot be written is only not used).
 */
export async function provideWorkloadImage(
  service: Pick<PodmanService, "podman" | "dir" | "socketPath">,
  options: ProvideWorkloadImageOptions = {},
): Promise<StackWorkloadImage> {
  const started = performance.now();
  const busybox = options.busybox ?? "/bin/busybox";
  const bytes = await Deno.readFile(busybox).catch(() => undefined);
  if (bytes === undefined) {
    // Throws the WorkloadImageError that says what to install.
    const { image } = await buildWorkloadImage(service, { busybox });
    return { image, source: "built", ms: performance.now() - started };
  }
  const image = workloadImageTag(bytes);
  const archive = workloadArchivePath(
    options.cacheDir ?? fleetCacheDir(),
    image,
  );
  if (await loadArchive(service.socketPath, archive, image)) {
    return { image, source: "cache", ms: performance.now() - started };
  }
  await buildWorkloadImage(service, { busybox });
  await saveArchive(service, archive, image).catch(() => {});
  return { image, source: "built", ms: performance.now() - started };
}

/** Loads `archive` through the API; whether it gave `image`. */
async function loadArchive(
  socketPath: string,
  archive: string,
  image: string,
): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(archive);
  } catch {
    return false;
  }
  using client = Deno.createHttpClient({
    proxy: { transport: "unix", path: socketPath },
  });
  try {
    const response = await fetch("http://d/v4.0.0/libpod/images/load", {
      client,
      method: "POST",
      headers: { "content-type": "application/x-tar" },
      body: file.readable,
    });
    const body = await response.text();
    if (!response.ok) return false;
    const names = (JSON.parse(body) as { Names?: unknown }).Names;
    return Array.isArray(names) && names.includes(image);
  } catch {
    return false;
  }
}

/** Saves `image` as an OCI archive at `archive`, atomically. */
async function saveArchive(
  service: Pick<PodmanService, "podman">,
  archive: string,
  image: string,
): Promise<void> {
  const dir = archive.slice(0, archive.lastIndexOf("/"));
  await Deno.mkdir(dir, { recursive: true });
  const partial = await Deno.makeTempFile({ dir, prefix: ".partial-" });
  try {
    // Only the unique name is wanted: podman save writes a new file.
    await Deno.remove(partial);
    await service.podman([
      "save",
      "--quiet",
      "--format",
      "oci-archive",
      "--output",
      partial,
      image,
    ]);
    await Deno.rename(partial, archive);
  } finally {
    await Deno.remove(partial).catch(() => {});
  }
}
