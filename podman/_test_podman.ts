/**
 * Test helpers of `podman/`: a real podman service with the workload image
 * and a client on it, and collecting a stream. Test-only.
 */
import {
  ignoreWithoutPodman,
  PodmanService,
} from "../testing/podman_service.ts";
import { buildWorkloadImage } from "../testing/workload_image.ts";
import { PodmanClient } from "./client.ts";
import { concatBytes } from "./_bytes.ts";
import type { StreamChunk } from "./frames.ts";

/** `ignore` for tests that need podman (see `ignoreWithoutPodman`). */
export const ignore: boolean = ignoreWithoutPodman();

/** A service, its workload image and a client on its socket. */
export interface PodmanFixture extends AsyncDisposable {
  service: PodmanService;
  image: string;
  client: PodmanClient;
}

/** Starts a service, builds the workload image, opens a client. */
export async function startPodman(): Promise<PodmanFixture> {
  const service = await PodmanService.start();
  try {
    const { image } = await buildWorkloadImage(service);
    const client = new PodmanClient(service.socketPath);
    return {
      service,
      image,
      client,
      async [Symbol.asyncDispose]() {
        await client[Symbol.asyncDispose]();
        await service[Symbol.asyncDispose]();
      },
    };
  } catch (error) {
    await service[Symbol.asyncDispose]();
    throw error;
  }
}

/** All of a stream's bytes, per stream. */
export interface Collected {
  stdout: Uint8Array;
  stderr: Uint8Array;
}

/** Reads `chunks` to the end. */
export async function collect(
  chunks: AsyncIterable<StreamChunk>,
): Promise<Collected> {
  const parts: Record<"stdout" | "stderr", Uint8Array[]> = {
    stdout: [],
    stderr: [],
  };
  for await (const { stream, data } of chunks) parts[stream].push(data.slice());
  return { stdout: concat(parts.stdout), stderr: concat(parts.stderr) };
}

/** Joins byte arrays. */
export const concat = concatBytes;

/** UTF-8 text of `bytes`. */
export function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** Socket file descriptors of a process (its open connections, listener included). */
export function socketCount(pid: number): number {
  let count = 0;
  for (const entry of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      if (
        Deno.readLinkSync(`/proc/${pid}/fd/${entry.name}`).startsWith("socket:")
      ) {
        count++;
      }
    } catch {
      // Closed meanwhile.
    }
  }
  return count;
}

/**
 * Checks `condition` every 10 ms until it returns something other than
 * `false` or `undefined`, and returns that; throws after `timeoutMs`.
 */
export async function waitFor<T>(
  what: string,
  condition: () => T | Promise<T>,
  timeoutMs = 10_000,
): Promise<Exclude<T, false | undefined>> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await condition();
    if (value !== false && value !== undefined) {
      return value as Exclude<T, false | undefined>;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
