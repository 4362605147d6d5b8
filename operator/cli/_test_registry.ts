// A device registry for the CLI's targeting tests: the registry stream
// created on a test server, and heartbeats published into it by hand.
// Test-only.
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstream } from "@nats-io/jetstream";
import { encodeJson } from "../../contracts/mod.ts";
import { ensureDeviceRegistry } from "../registry.ts";

/** Creates the registry stream (last heartbeat per device) on `nc`'s server. */
export async function createTestRegistry(nc: NatsConnection): Promise<void> {
  await ensureDeviceRegistry(nc);
}

/** Stores one heartbeat of `deviceId` with `labels`, as its agent would. */
export async function storeHeartbeat(
  nc: NatsConnection,
  deviceId: string,
  labels: Record<string, string> = {},
): Promise<void> {
  await jetstream(nc).publish(
    `device-heartbeat.${deviceId}`,
    encodeJson({
      device_id: deviceId,
      agent_version: "0.1.0",
      uptime_s: 1,
      runtime: "disabled",
      ts: new Date().toISOString(),
      labels,
      interval_s: 10,
    }),
  );
}
