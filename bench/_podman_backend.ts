/**
 * The podman backend's bring-up and teardown (1 device, warm images) and
 * the agent image's size, for `deno task bench`. Private to `bench/`.
 */
import { buildAgentImage, Stack } from "../e2e/mod.ts";
import { podmanAvailable, PodmanStore } from "../testing/mod.ts";

/** Rounds of bring-up and teardown after one warm-up. */
export const PODMAN_STACK_ROUNDS = 5;

/** What {@linkcode measurePodmanBackend} measured. */
export interface PodmanBackendSamples {
  bringUpMs: number[];
  teardownMs: number[];
  agentImageBytes: number;
}

/**
 * Brings a 1-device stack up on the podman backend and down again,
 * {@linkcode PODMAN_STACK_ROUNDS} times after a warm-up that builds the
 * images when they are missing; or says why it cannot (no podman).
 */
export async function measurePodmanBackend(): Promise<
  PodmanBackendSamples | { skipped: string }
> {
  const found = podmanAvailable();
  if (!found.ok) return { skipped: found.reason };
  const agentImageBytes = (await buildAgentImage(await PodmanStore.open()))
    .sizeBytes;
  await (await Stack.bringUp({ backend: "podman" }))[Symbol.asyncDispose]();
  const bringUpMs: number[] = [];
  const teardownMs: number[] = [];
  for (let round = 0; round < PODMAN_STACK_ROUNDS; round++) {
    let started = performance.now();
    const stack = await Stack.bringUp({ backend: "podman" });
    bringUpMs.push(performance.now() - started);
    started = performance.now();
    await stack[Symbol.asyncDispose]();
    teardownMs.push(performance.now() - started);
  }
  return { bringUpMs, teardownMs, agentImageBytes };
}
