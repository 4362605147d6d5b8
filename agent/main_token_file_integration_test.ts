// The real agent process with `[nats] token_file`, against a real
// nats-server with token authentication whose token is changed by a config
// reload, as a token rotation does.
import assert from "node:assert/strict";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "../nats/mod.ts";
import {
  decodePingReply,
  deviceCommandSubject,
  Verb,
} from "../contracts/mod.ts";
import {
  CalloutProcess,
  generateCalloutKeys,
  MockOidcIssuer,
  NatsServerProcess,
  quoteNatsConfigString,
  tempDir,
  TEST_ADMIN,
  waitFor,
} from "../testing/mod.ts";
import { MainProcess } from "./_test_main_process.ts";

const DEVICE = "token-file-dev-1";
const FIRST = "first-t0ken-s3cret";
const SECOND = "second-t0ken-s3cret";

const tokenConfig = (token: string) =>
  `authorization { token: ${quoteNatsConfigString(token)} }`;

function startNats(token: string, port?: number): Promise<NatsServerProcess> {
  return NatsServerProcess.start({
    config: { extraConfig: tokenConfig(token) },
    port,
  });
}

/** Rewrites the server's token and has it reload its config (SIGHUP). */
async function reloadWithToken(
  server: NatsServerProcess,
  token: string,
): Promise<void> {
  const text = await Deno.readTextFile(server.configPath);
  await Deno.writeTextFile(
    server.configPath,
    text.replace(/authorization \{ token: .* \}/, tokenConfig(token)),
  );
  Deno.kill(server.pid, "SIGHUP");
}

/** Replaces the token file as a refresher does: a new file renamed over it. */
async function rotate(path: string, token: string): Promise<void> {
  await Deno.writeTextFile(`${path}.new`, `${token}\n`);
  await Deno.rename(`${path}.new`, path);
}

/** An agent config in `dir` with `token_file = "token"` (relative). */
async function writeConfig(dir: string, server: string): Promise<string> {
  const path = join(dir, "agent.toml");
  await Deno.writeTextFile(
    path,
    `[agent]\ndevice_id = "${DEVICE}"\nruntime_enabled = false\n` +
      `[nats]\nservers = [${JSON.stringify(server)}]\ntoken_file = "token"\n`,
  );
  return path;
}

async function pingWith(
  url: string,
  auth: string | { user: string; pass: string },
): Promise<string> {
  const nc: NatsConnection = await connect({
    servers: url,
    ...(typeof auth === "string" ? { token: auth } : auth),
    reconnect: false,
  });
  try {
    const reply = await waitFor(
      "a ping answered",
      () =>
        nc.request(deviceCommandSubject(DEVICE, Verb.Ping), "", {
          timeout: 2_000,
        }).catch(() => undefined),
    );
    return decodePingReply(reply.data).device_id;
  } finally {
    await nc.close();
  }
}

Deno.test("agent/main.ts with token_file reconnects with the rotated token after the server stops taking the old one", async () => {
  await using dir = await tempDir("agent-token-file-test-");
  await using nats = await startNats(FIRST);
  await Deno.writeTextFile(join(dir.path, "token"), `${FIRST}\n`);
  await using agent = MainProcess.start(
    await writeConfig(dir.path, nats.url),
  );
  await agent.waitForEvent("ready");
  assert.equal(await pingWith(nats.url, FIRST), DEVICE);

  await rotate(join(dir.path, "token"), SECOND);
  await reloadWithToken(nats, SECOND);
  await agent.waitForEvent("nats_reconnected");
  assert.equal(await pingWith(nats.url, SECOND), DEVICE);

  agent.signalGroup("SIGTERM");
  const { code, stderr } = await agent.exit();
  assert.equal(code, 0, stderr);
  assert.ok(!stderr.includes(FIRST) && !stderr.includes(SECOND), stderr);
});

Deno.test("agent/main.ts with token_file keeps the last token and says so when the file is gone at a reconnect", async () => {
  await using dir = await tempDir("agent-token-file-test-");
  let nats = await startNats(FIRST);
  try {
    await Deno.writeTextFile(join(dir.path, "token"), `${FIRST}\n`);
    await using agent = MainProcess.start(
      await writeConfig(dir.path, nats.url),
    );
    await agent.waitForEvent("ready");
    await Deno.remove(join(dir.path, "token"));
    const port = nats.port;
    await nats[Symbol.asyncDispose]();
    nats = await startNats(FIRST, port);
    const warning = await agent.waitForEvent("token_file_unreadable");
    assert.equal(warning.level, "warn");
    assert.equal(warning.key, "nats.token_file");
    assert.equal(warning.path, join(dir.path, "token"));
    assert.match(
      String(warning.message),
      /Cannot use NATS token file ".*": the file does not exist; sending the last token read/,
    );
    await agent.waitForEvent("nats_reconnected");
    assert.equal(await pingWith(nats.url, FIRST), DEVICE);
    agent.signalGroup("SIGTERM");
    const { code, stderr } = await agent.exit();
    assert.equal(code, 0, stderr);
    assert.ok(!stderr.includes(FIRST), stderr);
  } finally {
    await nats[Symbol.asyncDispose]();
  }
});

Deno.test("agent/main.ts exits 2 naming nats.token_file and the path when the token file is missing or empty", async () => {
  await using dir = await tempDir("agent-token-file-test-");
  const configPath = await writeConfig(dir.path, "nats://127.0.0.1:1");
  const tokenPath = join(dir.path, "token");
  for (
    const [text, problem] of [
      [undefined, "the file does not exist"],
      ["", "the file is empty"],
    ] as const
  ) {
    await Deno.remove(tokenPath).catch(() => {});
    if (text !== undefined) await Deno.writeTextFile(tokenPath, text);
    await using agent = MainProcess.start(configPath);
    const { code, stderr } = await agent.exit();
    assert.equal(code, 2, stderr);
    const event = agent.events().find((e) => e.event === "config_invalid");
    assert.equal(event?.key, "nats.token_file", stderr);
    assert.equal(
      event?.message,
      `Cannot load agent config "${configPath}": key "nats.token_file": Cannot use NATS token file "${tokenPath}": ${problem}`,
    );
  }
});

Deno.test("agent/main.ts with token_file through the auth callout logs in again with the refreshed token when its login expires", async () => {
  await using dir = await tempDir("agent-token-file-test-");
  const keys = generateCalloutKeys();
  await using issuer = await MockOidcIssuer.start();
  await using nats = await NatsServerProcess.start({
    config: { admin: TEST_ADMIN, callout: { keys } },
  });
  await using callout = await CalloutProcess.start({
    dir: dir.path,
    servers: nats.url,
    keys,
    issuer,
  });
  // A token about to expire; the refresher has the next one ready.
  const subject = `device-${DEVICE}`;
  await Deno.writeTextFile(
    join(dir.path, "token"),
    await issuer.mint({ subject, lifetimeS: 6 }),
  );
  await using agent = MainProcess.start(
    await writeConfig(dir.path, nats.url),
  );
  await agent.waitForEvent("ready");
  await rotate(
    join(dir.path, "token"),
    await issuer.mint({ subject, lifetimeS: 600 }),
  );
  // The server ends the first login when its user JWT expires; the agent
  // comes back with the refreshed token.
  const logins = async () =>
    (await callout.events()).filter((e) =>
      e.event === "auth_allowed" && e.subject === subject
    );
  await waitFor(
    "the agent's second login",
    async () => (await logins()).length >= 2,
    { timeoutMs: 20_000 },
  );
  await agent.waitForEvent("nats_reconnected");
  const admin = { user: TEST_ADMIN.user, pass: TEST_ADMIN.password };
  assert.equal(await pingWith(nats.url, admin), DEVICE);
  const refused = (await callout.events()).filter((e) =>
    e.event === "auth_refused"
  );
  assert.deepEqual(refused, []);
  agent.signalGroup("SIGTERM");
  const { code, stderr } = await agent.exit();
  assert.equal(code, 0, stderr);
});
