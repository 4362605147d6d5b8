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
      "[e2e] clean up: kill 10 20 30; while kill -0 10 20 30 2>/dev/null; do sleep 0.1; done; rm -rf /tmp/fleet-e2e-0badf00d-x",
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
      "[e2e] not kept: pid 20 30 already exited\n[e2e] clean up: kill 10; while kill -0 10 2>/dev/null; do sleep 0.1; done; rm -rf /tmp/fleet-e2e-0badf00d-x",
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

const PODMAN = {
  socketPath: "/tmp/fleet-podman-x/podman.sock",
  pid: 40,
  dir: "/tmp/fleet-podman-x",
  cli:
    "env CONTAINERS_CONF=/tmp/fleet-podman-x/containers.conf podman --root /tmp/fleet-podman-x/root",
  containers: [{ deviceId: "d0", name: "web" }],
};

Deno.test("renderDebugInfo() of a podman stack gives fleet logs and fleet exec per container, and the podman CLI on its storage", () => {
  const text = renderDebugInfo({ ...FIELDS, keep: false, podman: PODMAN });
  const auth = "-s nats://127.0.0.1:4222 --user admin --password pw";
  assert.ok(
    text.includes(
      `\n[e2e] podman: unix:///tmp/fleet-podman-x/podman.sock  (pid 40); its containers: ${PODMAN.cli} ps --all\n`,
    ),
    text,
  );
  assert.match(
    text,
    new RegExp(
      `\\n\\[e2e\\] logs web on d0: deno run -A \\S+/mod\\.ts logs d0 web --tail 20 ${auth}\\n`,
    ),
  );
  assert.match(
    text,
    new RegExp(
      `\\n\\[e2e\\] exec in web on d0: deno run -A \\S+/mod\\.ts exec d0 web ${auth} -- ps$`,
    ),
  );
  const none = renderDebugInfo({
    ...FIELDS,
    keep: false,
    podman: { ...PODMAN, containers: [] },
  });
  assert.match(none, /\[e2e\] containers: none started yet/);
  assert.doesNotMatch(renderDebugInfo(FIELDS), /podman|containers:/);
});

Deno.test("renderDebugInfo() of a kept podman stack removes the containers first, then waits for the processes, then removes both dirs", () => {
  const text = renderDebugInfo({ ...FIELDS, podman: PODMAN });
  assert.ok(
    text.endsWith(
      `[e2e] clean up: ${PODMAN.cli} rm --all --force --time 0; kill 10 20 30 40; while kill -0 10 20 30 40 2>/dev/null; do sleep 0.1; done; umount --recursive /tmp/fleet-podman-x/root/overlay 2>/dev/null; rm -rf /tmp/fleet-e2e-0badf00d-x /tmp/fleet-podman-x`,
    ),
    text,
  );
});
