import type { DeviceListing, DeviceRecord } from "../devices.ts";
import { formatUptime } from "./ping_output.ts";

/** One device as `fleet devices --json` prints it (snake_case, as the wire). */
export interface DeviceJson {
  /** The device id. */
  device_id: string;
  /** `online` or `stale`. */
  status: string;
  /** When the server stored its last heartbeat: RFC 3339, UTC. */
  last_seen: string;
  /** Whole seconds from then to the listing (the server's clock). */
  last_seen_s_ago: number;
  /** Its agent's version. */
  agent_version: string;
  /** `podman` or `disabled`. */
  runtime: string;
  /** Whole seconds its agent had been up at its last heartbeat. */
  uptime_s: number;
  /** Its labels; `{}` when none. */
  labels: Record<string, string>;
  /** Seconds between its heartbeats (10 when its agent does not say). */
  heartbeat_interval_s: number;
}

function secondsAgo(device: DeviceRecord, at: Date): number {
  return Math.max(
    0,
    Math.floor((at.getTime() - device.lastSeen.getTime()) / 1000),
  );
}

/**
 * The array `fleet devices --json` prints, one object per device.
 *
 * @example
 * ```ts ignore
 * import { devicesJson } from "./devices_output.ts";
 * JSON.stringify(devicesJson(listing));
 * ```
 */
export function devicesJson(listing: DeviceListing): DeviceJson[] {
  return listing.devices.map((device) => ({
    device_id: device.id,
    status: device.status,
    last_seen: device.lastSeen.toISOString(),
    last_seen_s_ago: secondsAgo(device, listing.at),
    agent_version: device.agentVersion,
    runtime: device.runtime,
    uptime_s: device.uptimeS,
    labels: { ...device.labels },
    heartbeat_interval_s: device.heartbeatIntervalS,
  }));
}

/**
 * Labels as a selector would write them: `role=edge,site=berlin` (sorted
 * by key), `-` when none.
 *
 * @example
 * ```ts
 * import { formatLabels } from "./devices_output.ts";
 * formatLabels({ site: "berlin", role: "edge" }); // "role=edge,site=berlin"
 * ```
 */
export function formatLabels(labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  return keys.length === 0
    ? "-"
    : keys.map((key) => `${key}=${labels[key]}`).join(",");
}

const COLUMNS = ["ID", "STATUS", "LAST SEEN", "VERSION", "RUNTIME", "LABELS"];

/**
 * The table `fleet devices` prints: one row per device, last seen as an
 * age (`4s ago`, by the server's clock), labels as `key=value,…`; columns
 * separated by two spaces; ends with a newline.
 *
 * @example
 * ```ts ignore
 * import { renderDevicesTable } from "./devices_output.ts";
 * console.log(renderDevicesTable(listing));
 * // ID      STATUS  LAST SEEN  VERSION  RUNTIME   LABELS
 * // edge-1  online  4s ago     0.1.0    disabled  role=edge,site=berlin
 * ```
 */
export function renderDevicesTable(listing: DeviceListing): string {
  const rows = listing.devices.map((device) => [
    device.id,
    device.status,
    `${formatUptime(secondsAgo(device, listing.at))} ago`,
    device.agentVersion,
    device.runtime,
    formatLabels(device.labels),
  ]);
  const all = [COLUMNS, ...rows];
  const widths = COLUMNS.map((_, i) =>
    Math.max(...all.map((row) => row[i].length))
  );
  return all.map((row) =>
    row.map((cell, i) => i === row.length - 1 ? cell : cell.padEnd(widths[i]))
      .join("  ")
  ).join("\n") + "\n";
}
