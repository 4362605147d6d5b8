import assert from "node:assert/strict";
import { ExitCode } from "./cli_exit_codes.ts";
import type { PingResultJson } from "./cli_output.ts";
import {
  AgentProcess,
  NatsServerProcess,
  tempDir,
  TEST_ADMIN,
  waitForAgentEvent,
} from "../e2e/_test_support.ts";
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
  assert.equal(stderr, "");
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
    "gone: offline (no responders)\nmute: timed out after 200 ms\n",
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
    /^error: Cannot connect to NATS at ".*": authentication failed \(Authorization Violation\); check --user\/--password, --token or --creds\n$/,
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

/** An operator whose password starts with a digit and needs percent-encoding in a URL. */
const URL_USER = { user: "op", password: "4222/p@ss:w0rd" };

function withUserInfo(url: string, user: string, password: string): string {
  return url.replace(
    "nats://",
    `nats://${encodeURIComponent(user)}:${encodeURIComponent(password)}@`,
  );
}

Deno.test("fleet CLI process connects with the credentials of a -s URL, password starting with a digit", async () => {
  await using server = await NatsServerProcess.start({
    config: { admin: URL_USER },
  });
  await using _agents = await fakeAgents(server.url, ["dev-a"], URL_USER);

  const result = await runProcess([
    "-s",
    withUserInfo(server.url, URL_USER.user, URL_USER.password),
    "ping",
    "dev-a",
  ]);

  assert.equal(result.code, ExitCode.Ok, result.stderr);
  assert.match(result.stdout, /^dev-a +ok /m);
});

Deno.test("fleet CLI process with a wrong password in a -s URL exits with the connection code and never shows the password", async () => {
  await using server = await NatsServerProcess.start({
    config: { admin: URL_USER },
  });
  const wrong = "7wrong-s3cret";

  const result = await runProcess([
    "-s",
    `nats://127.0.0.1:1,${withUserInfo(server.url, URL_USER.user, wrong)}`,
    "ping",
    "dev-a",
  ]);

  assert.equal(result.code, ExitCode.Connection, result.stderr);
  assert.match(result.stderr, /authentication failed/);
  assert.ok(!result.stderr.includes(wrong), result.stderr);
  assert.ok(!result.stdout.includes(wrong), result.stdout);
});

Deno.test("runCli() takes credentials from a NATS_URL, and --user/--password over them", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using _agents = await fakeAgents(server.url, ["dev-a"]);
  const good = withUserInfo(server.url, TEST_ADMIN.user, TEST_ADMIN.password);
  const bad = withUserInfo(server.url, TEST_ADMIN.user, "wrong");

  const fromEnv = await run(["ping", "dev-a"], { NATS_URL: good });
  assert.equal(fromEnv.code, ExitCode.Ok, fromEnv.stderr);
  const flagsWin = await run(
    [
      "--user",
      TEST_ADMIN.user,
      "--password",
      TEST_ADMIN.password,
      "ping",
      "dev-a",
    ],
    { NATS_URL: bad },
  );
  assert.equal(flagsWin.code, ExitCode.Ok, flagsWin.stderr);
});

Deno.test("runCli() refuses credentials both in a -s URL and in --user or --token", async () => {
  for (const extra of [["--user", "x"], ["--token", "t"], ["--creds", "/x"]]) {
    const { code, stderr } = await run([
      "-s",
      "nats://op:s3cret@127.0.0.1:4222",
      ...extra,
      "ping",
      "dev-a",
    ]);
    assert.equal(code, ExitCode.Usage, stderr);
    assert.match(
      stderr,
      new RegExp(
        `^error: --server: the URL carries credentials and ${
          extra[0]
        } is given too; give them once`,
      ),
    );
    assert.ok(!stderr.includes("s3cret"), stderr);
  }
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

Deno.test("runCli() connects with NATS_USER and NATS_PASSWORD, and flags win over them", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using _agents = await fakeAgents(server.url, ["dev-a"]);
  const env = {
    NATS_URL: server.url,
    NATS_USER: TEST_ADMIN.user,
    NATS_PASSWORD: TEST_ADMIN.password,
  };

  const fromEnv = await run(["ping", "dev-a"], env);
  assert.equal(fromEnv.code, ExitCode.Ok, fromEnv.stderr);
  // --user on the command line, the password from the environment.
  const mixed = await run(["--user", TEST_ADMIN.user, "ping", "dev-a"], {
    NATS_URL: server.url,
    NATS_PASSWORD: TEST_ADMIN.password,
  });
  assert.equal(mixed.code, ExitCode.Ok, mixed.stderr);
  const flagWins = await run(["--password", "wrong", "ping", "dev-a"], env);
  assert.equal(flagWins.code, ExitCode.Connection, flagWins.stderr);
  assert.match(flagWins.stderr, /authentication failed/);
});

Deno.test("runCli() names NATS_CREDS and its file when the file cannot be used, and refuses NATS_USER with NATS_TOKEN", async () => {
  await using dir = await tempDir();
  const missing = `${dir.path}/nope.creds`;
  const creds = await run(["ping", "dev-a"], { NATS_CREDS: missing });
  assert.equal(creds.code, ExitCode.Usage, creds.stderr);
  assert.equal(
    creds.stderr,
    `error: NATS_CREDS: Cannot use NATS credentials file ${
      JSON.stringify(missing)
    }: the file does not exist\n`,
  );
  const both = await run(["ping", "dev-a"], {
    NATS_USER: "u",
    NATS_TOKEN: "s3cret-token",
  });
  assert.equal(both.code, ExitCode.Usage, both.stderr);
  assert.match(
    both.stderr,
    /cannot be used together; choose one \(given: NATS_USER, NATS_TOKEN\)/,
  );
  assert.ok(!both.stderr.includes("s3cret-token"));
});

/** Writes the nats CLI context `name` under `configHome` (and selects it when `select`). */
async function writeContext(
  configHome: string,
  name: string,
  body: Record<string, unknown>,
  options: { select?: boolean } = {},
): Promise<string> {
  await Deno.mkdir(`${configHome}/nats/context`, { recursive: true });
  const path = `${configHome}/nats/context/${name}.json`;
  await Deno.writeTextFile(path, JSON.stringify(body, null, 2));
  if (options.select) {
    await Deno.writeTextFile(`${configHome}/nats/context.txt`, name);
  }
  return path;
}

Deno.test("runCli() connects with a --context, NATS_CONTEXT or the selected context of the nats CLI", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using _agents = await fakeAgents(server.url, ["dev-a"]);
  await using home = await tempDir();
  const config = `${home.path}/.config`;
  await writeContext(config, "lab", {
    description: "test lab",
    url: server.url,
    inbox_prefix: "_INBOX_fleet",
    user: TEST_ADMIN.user,
    password: TEST_ADMIN.password,
  });
  await writeContext(config, "broken", { url: "nats://127.0.0.1:1" }, {
    select: true,
  });
  const env = { HOME: home.path };

  const named = await run(["--context", "lab", "ping", "dev-a"], env);
  assert.equal(named.code, ExitCode.Ok, named.stderr);
  const fromEnv = await run(["ping", "dev-a"], {
    ...env,
    NATS_CONTEXT: "lab",
  });
  assert.equal(fromEnv.code, ExitCode.Ok, fromEnv.stderr);
  const selected = await run(["ping", "dev-a"], env);
  assert.equal(selected.code, ExitCode.Connection, selected.stderr);
  assert.match(selected.stderr, /127\.0\.0\.1:1/);
  await writeContext(config, "lab", { url: server.url }, { select: true });
  const withEnvCredentials = await run(["ping", "dev-a"], {
    ...env,
    NATS_USER: TEST_ADMIN.user,
    NATS_PASSWORD: TEST_ADMIN.password,
  });
  assert.equal(withEnvCredentials.code, ExitCode.Ok, withEnvCredentials.stderr);
});

Deno.test("runCli() takes flags over the environment over the context, and --no-context skips the selected one", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using _agents = await fakeAgents(server.url, ["dev-a"]);
  await using xdg = await tempDir();
  await writeContext(xdg.path, "stale", {
    url: "nats://127.0.0.1:1",
    user: TEST_ADMIN.user,
    password: "wrong",
  }, { select: true });
  const env = { XDG_CONFIG_HOME: xdg.path };

  // NATS_URL over the context's url; --password over the context's password.
  const layered = await run(
    ["--password", TEST_ADMIN.password, "ping", "dev-a"],
    { ...env, NATS_URL: server.url },
  );
  assert.equal(layered.code, ExitCode.Ok, layered.stderr);
  // The context's wrong password is used when nothing overrides it.
  const contextPassword = await run(["ping", "dev-a"], {
    ...env,
    NATS_URL: server.url,
  });
  assert.equal(contextPassword.code, ExitCode.Connection);
  assert.match(contextPassword.stderr, /authentication failed/);
  assert.ok(!contextPassword.stderr.includes("wrong"));
  const none = await run(
    ["--no-context", ...auth(server.url), "ping", "dev-a"],
    env,
  );
  assert.equal(none.code, ExitCode.Ok, none.stderr);
});

Deno.test("runCli() returns the usage code naming the context file for a missing, malformed or unsupported context", async () => {
  await using home = await tempDir();
  const config = `${home.path}/.config`;
  const env = { HOME: home.path };
  const missing = await run(["--context", "nope", "ping", "dev-a"], env);
  assert.equal(missing.code, ExitCode.Usage, missing.stderr);
  assert.ok(
    missing.stderr.includes(
      JSON.stringify(`${config}/nats/context/nope.json`),
    ),
    missing.stderr,
  );
  const bad = await writeContext(config, "bad", {
    url: "nats://op:s3cret@127.0.0.1:99999",
  });
  const badUrl = await run(["--context", "bad", "ping", "dev-a"], env);
  assert.equal(badUrl.code, ExitCode.Usage, badUrl.stderr);
  assert.ok(badUrl.stderr.includes(JSON.stringify(bad)), badUrl.stderr);
  assert.match(badUrl.stderr, /url: Invalid NATS server URL .*port 99999/);
  assert.ok(!badUrl.stderr.includes("s3cret"), badUrl.stderr);
  const tls = await writeContext(config, "tls", { url: "tls://h", ca: "/ca" });
  const unsupported = await run(["--context", "tls", "ping", "dev-a"], env);
  assert.equal(unsupported.code, ExitCode.Usage, unsupported.stderr);
  assert.ok(unsupported.stderr.includes(JSON.stringify(tls)));
  assert.match(unsupported.stderr, /field "ca" is not supported by fleet yet/);
});
