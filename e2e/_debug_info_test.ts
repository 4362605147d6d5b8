import assert from "node:assert/strict";
import { renderDebugInfo } from "./_debug_info.ts";

const FIELDS = {
  namespace: "e2e-0badf00d",
  keep: true,
  dir: "/tmp/fleet-e2e-0badf00d-x",
  natsUrl: "nats://127.0.0.1:4222",
  admin: { user: "admin", password: "pw" },
  natsServerLog: "/tmp/fleet-e2e-0badf00d-x/nats-server.log",
  natsServerPid: 30,
  devices: [
    { deviceId: "d0", logPath: "/tmp/a0.log", pid: 10 },
    { deviceId: "d1", logPath: "/tmp/a1.log", pid: 20 },
  ],
};

Deno.test("renderDebugInfo() of a kept stack says how to clean up every process", () => {
  assert.ok(
    renderDebugInfo(FIELDS).endsWith(
      "[e2e] clean up: kill 10 20 30; rm -rf /tmp/fleet-e2e-0badf00d-x",
    ),
  );
});

Deno.test("renderDebugInfo() of a kept stack says which processes did not survive", () => {
  const text = renderDebugInfo({
    ...FIELDS,
    devices: [FIELDS.devices[0], { ...FIELDS.devices[1], exited: true }],
    natsServerExited: true,
  });
  assert.ok(
    text.endsWith(
      "[e2e] not kept: pid 20 30 already exited\n[e2e] clean up: kill 10; rm -rf /tmp/fleet-e2e-0badf00d-x",
    ),
    text,
  );
});

Deno.test("renderDebugInfo() of a TLS stack gives the CLI flags to paste: --tlsca, --tlscert, --tlskey, --tlsfirst", () => {
  const text = renderDebugInfo({
    ...FIELDS,
    natsUrl: "tls://127.0.0.1:4222",
    tls: {
      caFile: "/s/tls/ca.pem",
      certFile: "/s/tls/admin.pem",
      keyFile: "/s/tls/admin-key.pem",
    },
  });
  const flags =
    "--tlsca /s/tls/ca.pem --tlscert /s/tls/admin.pem --tlskey /s/tls/admin-key.pem --tlsfirst";
  assert.match(
    text,
    /^\[e2e\] TLS: mutual TLS, TLS first; CA \/s\/tls\/ca\.pem$/m,
  );
  assert.ok(
    text.includes(
      `ping d0 d1 -s tls://127.0.0.1:4222 --user admin --password pw ${flags}\n`,
    ),
    text,
  );
  assert.ok(
    text.includes(
      `nats req device-commands.d0.ping "" -s tls://127.0.0.1:4222 --user admin --password pw ${flags}\n`,
    ),
    text,
  );
  assert.doesNotMatch(renderDebugInfo(FIELDS), /--tls|TLS:/);
});
