import assert from "node:assert/strict";
import { ExitCode } from "./exit_codes.ts";
import type { PingResultJson } from "./ping_output.ts";
import {
  AgentProcess,
  NatsServerProcess,
  tempDir,
  TEST_ADMIN,
  waitForAgentEvent,
} from "../../testing/mod.ts";
import {
  adminArgs as auth,
  fakeAgents,
  pingReply,
  runInProcess as run,
  runProcess,
} from "./_test_cli.ts";

/** A nats-server that only {@linkcode TEST_ADMIN} may use. */
const SERVER = { config: { admin: TEST_ADMIN } };
Deno.test("runCli() ping prints a table of every device and returns 0 when all answered", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using _agents = await fakeAgents(server.url, ["dev-a", "dev-b"]);

  const { code, stdout, stderr } = await run([
    ...auth(server.url),
    "ping",
    "dev-a",
    "dev-b",
  ]);

  assert.equal(code, ExitCode.Ok, stderr);
  assert.equal(stderr, "2 of 2 answered\n");
  const lines = stdout.trimEnd().split("\n");
  assert.match(lines[0], /^DEVICE +STATUS +RTT +VERSION +UPTIME +RUNTIME$/);
  assert.match(lines[1], /^dev-a +ok +\d+\.\dms +0\.1\.0 +3m12s +disabled$/);
  assert.match(lines[2], /^dev-b +ok +\d+\.\dms +0\.1\.0 +3m12s +disabled$/);
  assert.equal(lines.length, 3);
});

Deno.test("runCli() ping returns 1 and says which devices are offline or timed out", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using agents = await fakeAgents(server.url, ["dev-a"]);
  agents.subscribe("device-commands.mute.ping", { callback: () => {} });
  await agents.flush();

  const { code, stdout, stderr } = await run([
    ...auth(server.url),
    "--timeout",
    "200ms",
    "ping",
    "dev-a",
    "gone",
    "mute",
  ]);

  assert.equal(code, ExitCode.NotAllAnswered);
  assert.match(stdout, /^dev-a +ok /m);
  assert.match(stdout, /^gone +offline +- +- +- +-$/m);
  assert.match(stdout, /^mute +timeout +- /m);
  assert.equal(
    stderr,
    "gone: offline (no responders)\nmute: timed out after 200 ms\n" +
      "1 of 3 answered; offline: gone; timed out: mute\n",
  );
});

Deno.test("runCli() ping --json prints one result per device, once per repeated id", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using _agents = await fakeAgents(server.url, ["dev-a"]);

  const { code, stdout } = await run([
    ...auth(server.url),
    "ping",
    "dev-a",
    "gone",
    "dev-a",
    "--json",
  ]);

  assert.equal(code, ExitCode.NotAllAnswered);
  const results: PingResultJson[] = JSON.parse(stdout);
  assert.equal(results.length, 2);
  assert.equal(results[0].device_id, "dev-a");
  assert.equal(results[0].ok, true);
  assert.equal(typeof results[0].rtt_ms, "number");
  assert.deepEqual(results[0].reply, pingReply("dev-a"));
  assert.equal(results[1].device_id, "gone");
  assert.equal(results[1].ok, false);
  assert.equal(results[1].rtt_ms, null);
  assert.equal(results[1].error?.type, "offline");
  assert.match(results[1].error!.message, /no responders/);
});

Deno.test("runCli() ping takes the server from NATS_URL when -s is not given", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using _agents = await fakeAgents(server.url, ["dev-a"]);

  const { code, stderr } = await run(
    [
      "--user",
      TEST_ADMIN.user,
      "--password",
      TEST_ADMIN.password,
      "ping",
      "dev-a",
    ],
    { NATS_URL: server.url },
  );

  assert.equal(code, ExitCode.Ok, stderr);
});

Deno.test("runCli() ping returns the connection code and names authentication for a wrong password", async () => {
  await using server = await NatsServerProcess.start(SERVER);

  const { code, stdout, stderr } = await run([
    "-s",
    server.url,
    "--user",
    TEST_ADMIN.user,
    "--password",
    "wrong",
    "ping",
    "dev-a",
  ]);

  assert.equal(code, ExitCode.Connection);
  assert.equal(stdout, "");
  assert.match(
    stderr,
    /^error: Cannot connect to NATS at ".*": authentication failed \(Authorization Violation\); check --user\/--password, --token, --token-file or --creds\n$/,
  );
});

Deno.test("fleet CLI process exits with the connection code and a clear message for a wrong password, 20 times in a row", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  const runOnce = () =>
    runProcess([
      "-s",
      server.url,
      "--user",
      TEST_ADMIN.user,
      "--password",
      "wrong",
      "ping",
      "dev-a",
    ]);
  // Two at a time: the machine is shared; 20 runs in all.
  for (let round = 0; round < 10; round++) {
    for (const result of await Promise.all([runOnce(), runOnce()])) {
      assert.equal(result.code, ExitCode.Connection, result.stderr);
      assert.equal(result.stdout, "");
      assert.match(result.stderr, /authentication failed/);
      assert.doesNotMatch(result.stderr, /Uncaught|panicked/);
    }
  }
});

Deno.test("runCli() ping tries every server given: a dead first server still connects, 10 runs in each order", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using _agents = await fakeAgents(server.url, ["dev-a"]);
  const dead = "nats://127.0.0.1:1";
  for (const servers of [`${dead},${server.url}`, `${server.url},${dead}`]) {
    for (let i = 0; i < 10; i++) {
      const { code, stderr } = await run([
        ...auth(servers),
        "ping",
        "dev-a",
      ]);
      assert.equal(code, ExitCode.Ok, `${servers} run ${i + 1}: ${stderr}`);
    }
  }
});

Deno.test("runCli() ping gives up with the connection code once every server has been tried", async () => {
  const { code, stderr } = await run([
    "-s",
    "nats://127.0.0.1:1,nats://127.0.0.1:2",
    "ping",
    "dev-a",
  ]);
  assert.equal(code, ExitCode.Connection, stderr);
  assert.match(
    stderr,
    /^error: Cannot connect to NATS at "nats:\/\/127\.0\.0\.1:1,nats:\/\/127\.0\.0\.1:2": server unreachable/,
  );
});
Deno.test("runCli() ping with a fractional --timeout gets an answer from a real agent", async () => {
  const device = { deviceId: "frac-dev", user: "device-frac", password: "pw" };
  await using dir = await tempDir();
  await using server = await NatsServerProcess.start({
    config: { admin: TEST_ADMIN, devices: [device] },
  });
  await using agent = await AgentProcess.start({
    deviceId: device.deviceId,
    servers: server.url,
    credentials: device,
    dir: dir.path,
  });
  await waitForAgentEvent(agent, "ready");

  for (const timeout of ["1000.5", "1.2345s", "2500.25ms"]) {
    const { code, stdout, stderr } = await run([
      ...auth(server.url),
      "--timeout",
      timeout,
      "ping",
      device.deviceId,
    ]);
    assert.equal(code, ExitCode.Ok, `--timeout ${timeout}: ${stderr}`);
    assert.match(stdout, /^frac-dev +ok /m);
  }
});

Deno.test("runCli() ping with a tls:// server that offers no TLS fails with the connection code, saying so", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using _agents = await fakeAgents(server.url, ["dev-a"]);
  const tls = server.url.replace("nats://", "tls://");
  const { code, stderr } = await run([...auth(tls), "ping", "dev-a"]);
  assert.equal(code, ExitCode.Connection, stderr);
  assert.match(stderr, /TLS is required/);
  assert.match(stderr, new RegExp(tls.replaceAll(".", "\\.")));
});
