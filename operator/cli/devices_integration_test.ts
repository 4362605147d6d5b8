import assert from "node:assert/strict";
import {
  AgentProcess,
  NatsServerProcess,
  tempDir,
  TEST_ADMIN,
  waitFor,
} from "../../testing/mod.ts";
import { PACKAGE_VERSION } from "../../contracts/mod.ts";
import { adminArgs, runInProcess as run, runProcess } from "./_test_cli.ts";
import type { DeviceJson } from "./devices_output.ts";

const OPERATOR = { user: "bob", password: "bob-pw" };
const DEVICE = { deviceId: "edge-1", user: "device-edge-1", password: "e1-pw" };

function startServer(extraConfig?: string): Promise<NatsServerProcess> {
  return NatsServerProcess.start({
    config: {
      admin: TEST_ADMIN,
      operators: [OPERATOR],
      devices: [DEVICE],
      extraConfig,
    },
  });
}

function operatorArgs(url: string): string[] {
  return ["-s", url, "--user", OPERATOR.user, "--password", OPERATOR.password];
}

Deno.test("runCli() registry init creates the stream, then says it already exists", async () => {
  await using server = await startServer();
  const first = await run([...adminArgs(server.url), "registry", "init"]);
  assert.equal(first.code, 0, first.stderr);
  assert.equal(
    first.stdout,
    "Registry stream FLEET_DEVICES created: 1 replica, 0 devices known (subjects device-heartbeat.>, last heartbeat per device)\n",
  );
  const again = await run([
    ...adminArgs(server.url),
    "registry",
    "init",
    "--json",
  ]);
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(JSON.parse(again.stdout), {
    stream: "FLEET_DEVICES",
    action: "unchanged",
    replicas: 1,
    devices: 0,
  });
});

Deno.test("runCli() registry init exits 1 when JetStream is off, and 2 for bad --replicas", async () => {
  await using server = await startServer("jetstream: disabled\n");
  const off = await run([
    ...adminArgs(server.url),
    "--timeout",
    "2s",
    "registry",
    "init",
    "--json",
  ]);
  assert.equal(off.code, 1);
  assert.match(
    off.stderr,
    /^error: Cannot create registry stream "FLEET_DEVICES": JetStream is not enabled/,
  );
  const json = JSON.parse(off.stdout);
  assert.equal(json.error.type, "registry");
  assert.equal(json.error.reason, "jetstream_disabled");
  assert.equal(json.error.exit_code, 1);

  const usage = await run([
    ...adminArgs(server.url),
    "registry",
    "init",
    "--replicas",
    "2",
  ]);
  assert.equal(usage.code, 2);
  assert.match(
    usage.stderr,
    /--replicas <n>' argument '2' is invalid\. expected 1, 3 or 5\./,
  );
});

Deno.test("runCli() devices exits 1 saying to run `fleet registry init` when there is no registry", async () => {
  await using server = await startServer();
  const { code, stdout, stderr } = await run([
    ...operatorArgs(server.url),
    "devices",
  ]);
  assert.equal(code, 1);
  assert.equal(stdout, "");
  assert.equal(
    stderr,
    'error: Cannot list the devices of registry stream "FLEET_DEVICES": it does not exist; create it with `fleet registry init`\n',
  );
  const json = await run([...operatorArgs(server.url), "devices", "--json"]);
  assert.equal(json.code, 1);
  assert.deepEqual(JSON.parse(json.stdout), {
    error: {
      type: "registry",
      reason: "not_found",
      stream: "FLEET_DEVICES",
      message:
        'Cannot list the devices of registry stream "FLEET_DEVICES": it does not exist; create it with `fleet registry init`',
      exit_code: 1,
    },
  });
});

Deno.test("fleet devices (a child process, as an operator) lists a real agent with its labels, as a table and as JSON", async () => {
  await using server = await startServer();
  const init = await run([...adminArgs(server.url), "registry", "init"]);
  assert.equal(init.code, 0, init.stderr);
  await using dir = await tempDir("cli-devices-test-");
  await using _agent = await AgentProcess.start({
    deviceId: DEVICE.deviceId,
    servers: server.url,
    credentials: DEVICE,
    dir: dir.path,
    labels: { site: "berlin", role: "edge" },
  });
  const devices = await waitFor("the agent in the registry", async () => {
    const { code, stdout } = await run([
      ...operatorArgs(server.url),
      "devices",
      "--json",
    ]);
    assert.equal(code, 0);
    const list = JSON.parse(stdout) as DeviceJson[];
    return list.length === 1 ? list : undefined;
  }, { timeoutMs: 30_000 });
  assert.equal(devices[0].device_id, DEVICE.deviceId);
  assert.equal(devices[0].status, "online");
  assert.deepEqual(devices[0].labels, { site: "berlin", role: "edge" });
  assert.equal(devices[0].agent_version, PACKAGE_VERSION);
  assert.equal(devices[0].heartbeat_interval_s, 10);

  const table = await runProcess([...operatorArgs(server.url), "devices"]);
  assert.equal(table.code, 0, table.stderr);
  assert.equal(table.stderr, "");
  const lines = table.stdout.trimEnd().split("\n");
  assert.match(
    lines[0],
    /^ID +STATUS +LAST SEEN +VERSION +RUNTIME +LABELS$/,
  );
  assert.match(
    lines[1],
    /^edge-1 +online +\d+s ago +\d+\.\d+\.\d+ +disabled +role=edge,site=berlin$/,
  );
  assert.equal(lines.length, 2);
});

Deno.test("runCli() devices exits 1 naming the permission a device user lacks", async () => {
  await using server = await startServer();
  await run([...adminArgs(server.url), "registry", "init"]);
  const { code, stderr } = await run([
    "-s",
    server.url,
    "--user",
    DEVICE.user,
    "--password",
    DEVICE.password,
    "devices",
  ]);
  assert.equal(code, 1);
  assert.match(
    stderr,
    /^error: Cannot list the devices of registry stream "FLEET_DEVICES": permission denied/,
  );
  assert.ok(!stderr.includes(DEVICE.password));
});
