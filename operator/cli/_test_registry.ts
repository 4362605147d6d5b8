// A device registry for the CLI's targeting tests: the registry stream
// created on a test server, and heartbeats published into it by hand.
// Test-only.
import type { NatsConnection } from "@nats-io/nats-core";
import { jetstreamManager } from "@nats-io/jetstream";
import {
  DEVICE_REGISTRY_STREAM,
  DEVICE_REGISTRY_SUBJECTS,
  encodeJson,
} from "../../contracts/mod.ts";

/** Creates the registry stream (last heartbeat per device) on `nc`'s server. */
export async function createTestRegistry(nc: NatsConnection): Promise<void> {
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({
    name: DEVICE_REGISTRY_STREAM,
    subjects: [...DEVICE_REGISTRY_SUBJECTS],
    max_msgs_per_subject: 1,
  });
}

/** Stores one heartbeat of `deviceId` with `labels`, as its agent would. */
export async function storeHeartbeat(
  nc: NatsConnection,
  deviceId: string,
  labels: Record<string, string> = {},
): Promise<void> {
  const js = (await import("@nats-io/jetstream")).jetstream(nc);
  await js.publish(
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
