import assert from "node:assert/strict";
import type { DeviceListing } from "../devices.ts";
import {
  devicesJson,
  formatLabels,
  renderDevicesTable,
} from "./devices_output.ts";

const AT = new Date("2026-11-28T12:00:00.000Z");
const LISTING: DeviceListing = {
  at: AT,
  devices: [
    {
      id: "edge-1",
      status: "online",
      lastSeen: new Date("2026-11-28T11:59:56.500Z"),
      agentVersion: "0.1.0",
      runtime: "disabled",
      uptimeS: 300,
      labels: { site: "berlin", role: "edge" },
      heartbeatIntervalS: 10,
    },
    {
      id: "edge-22",
      status: "stale",
      lastSeen: new Date("2026-11-28T11:57:55.000Z"),
      agentVersion: "0.0.9",
      runtime: "podman",
      uptimeS: 12,
      labels: {},
      heartbeatIntervalS: 10,
    },
  ],
};

Deno.test("renderDevicesTable() prints ID, STATUS, LAST SEEN, VERSION, RUNTIME, LABELS", () => {
  assert.equal(
    renderDevicesTable(LISTING),
    [
      "ID       STATUS  LAST SEEN  VERSION  RUNTIME   LABELS",
      "edge-1   online  3s ago     0.1.0    disabled  role=edge,site=berlin",
      "edge-22  stale   2m5s ago   0.0.9    podman    -",
      "",
    ].join("\n"),
  );
});

Deno.test("renderDevicesTable() prints only the header for no devices", () => {
  assert.equal(
    renderDevicesTable({ at: AT, devices: [] }),
    "ID  STATUS  LAST SEEN  VERSION  RUNTIME  LABELS\n",
  );
});

Deno.test("devicesJson() gives one snake_case object per device", () => {
  assert.deepEqual(devicesJson(LISTING)[0], {
    device_id: "edge-1",
    status: "online",
    last_seen: "2026-11-28T11:59:56.500Z",
    last_seen_s_ago: 3,
    agent_version: "0.1.0",
    runtime: "disabled",
    uptime_s: 300,
    labels: { site: "berlin", role: "edge" },
    heartbeat_interval_s: 10,
  });
});

Deno.test("formatLabels() sorts by key and says - for none", () => {
  assert.equal(formatLabels({ b: "2", a: "" }), "a=,b=2");
  assert.equal(formatLabels({}), "-");
});
