import assert from "node:assert/strict";
import { ExitCode } from "./exit_codes.ts";
import { NatsServerProcess, tempDir, TEST_ADMIN } from "../../testing/mod.ts";
import { fakeAgents, runInProcess as run, runProcess } from "./_test_cli.ts";

/** A nats-server that only {@linkcode TEST_ADMIN} may use. */
const SERVER = { config: { admin: TEST_ADMIN } };

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

  const alone = await runProcess([
    "-s",
    withUserInfo(server.url, URL_USER.user, wrong),
    "ping",
    "dev-a",
  ]);
  assert.equal(alone.code, ExitCode.Connection, alone.stderr);
  assert.match(alone.stderr, /authentication failed/);

  // With a dead server beside it, the servers are dialled in random order
  // and nats-core reports the last one's error: "authentication failed" or
  // the dead server's, never the password.
  const withDead = await runProcess([
    "-s",
    `nats://127.0.0.1:1,${withUserInfo(server.url, URL_USER.user, wrong)}`,
    "ping",
    "dev-a",
  ]);
  assert.equal(withDead.code, ExitCode.Connection, withDead.stderr);
  assert.match(
    withDead.stderr,
    /authentication failed|Cannot connect to any of the NATS servers "nats:\/\/127\.0\.0\.1:1"/,
  );
  for (const result of [alone, withDead]) {
    assert.ok(!result.stderr.includes(wrong), result.stderr);
    assert.ok(!result.stdout.includes(wrong), result.stdout);
  }
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
