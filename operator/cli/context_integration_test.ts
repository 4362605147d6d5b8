import assert from "node:assert/strict";
import { ExitCode } from "./exit_codes.ts";
import { NatsServerProcess, tempDir, TEST_ADMIN } from "../../testing/mod.ts";
import {
  adminArgs as auth,
  fakeAgents,
  runInProcess as run,
} from "./_test_cli.ts";

/** A nats-server that only {@linkcode TEST_ADMIN} may use. */
const SERVER = { config: { admin: TEST_ADMIN } };

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
  const nkey = await writeContext(config, "nk", { url: "tls://h", nkey: "/k" });
  const unsupported = await run(["--context", "nk", "ping", "dev-a"], env);
  assert.equal(unsupported.code, ExitCode.Usage, unsupported.stderr);
  assert.ok(unsupported.stderr.includes(JSON.stringify(nkey)));
  assert.match(
    unsupported.stderr,
    /field "nkey" is not supported by fleet yet/,
  );
  // A context's ca is used now, and checked before connecting.
  const tls = await writeContext(config, "tls", { url: "tls://h", ca: "/ca" });
  const missingCa = await run(["--context", "tls", "ping", "dev-a"], env);
  assert.equal(missingCa.code, ExitCode.Usage, missingCa.stderr);
  assert.ok(
    missingCa.stderr.includes(
      `Cannot use context "tls" (${
        JSON.stringify(tls)
      }) ca "/ca": the file does not exist`,
    ),
    missingCa.stderr,
  );
});
