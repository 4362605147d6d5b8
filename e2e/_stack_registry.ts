/**
 * The device registry of a stack: created at bring-up, and waited for
 * until it knows every device. Private to `e2e/`.
 */
import type { NatsConnection } from "../nats/mod.ts";
import { listDevices } from "../operator/devices.ts";
import { ensureDeviceRegistry } from "../operator/registry.ts";
import { waitFor } from "../testing/wait.ts";

/** Options of {@linkcode createStackRegistry}. */
export interface StackRegistryOptions {
  /** The registry's replicas. @default {1} */
  replicas?: number;
}

/**
 * Creates the registry stream (`FLEET_DEVICES`) with the stack's admin
 * connection.
 */
export async function createStackRegistry(
  nc: NatsConnection,
  options: StackRegistryOptions = {},
): Promise<void> {
  await ensureDeviceRegistry(nc, { replicas: options.replicas ?? 1 });
}

/** Options of {@linkcode waitForRegistry}. */
export interface WaitForRegistryOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Give up when this aborts. @default {never} */
  signal?: AbortSignal;
}

/**
 * Waits until the registry lists every device of `deviceIds`. An agent
 * that connected before the stream existed is listed from its next
 * heartbeat on (one heartbeat interval at most); usually none did.
 */
export async function waitForRegistry(
  nc: NatsConnection,
  deviceIds: readonly string[],
  options: WaitForRegistryOptions,
): Promise<void> {
  let missing = [...deviceIds];
  try {
    await waitFor("every device in the registry", async () => {
      options.signal?.throwIfAborted();
      const known = new Set((await listDevices(nc)).map((d) => d.id));
      missing = deviceIds.filter((id) => !known.has(id));
      return missing.length === 0;
    }, { timeoutMs: options.timeoutMs, intervalMs: 50 });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw new Error(
      `The registry does not list ${missing.length} device(s) after ${options.timeoutMs} ms: ${
        missing.slice(0, 5).join(", ")
      }${missing.length > 5 ? ", …" : ""}`,
      { cause: error },
    );
  }
}
