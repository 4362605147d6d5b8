import assert from "node:assert/strict";
import { encodeJson } from "../../contracts/mod.ts";
import { connect } from "../../nats/mod.ts";
import { ExitCode } from "./exit_codes.ts";
import {
  NatsServerProcess,
  quoteNatsConfigString,
  tempDir,
} from "../../testing/mod.ts";
import { pingReply, runInProcess as run, runProcess } from "./_test_cli.ts";

const TOKEN = "op-t0ken-s3cret";

/** A nats-server taking only `TOKEN`, with a fake agent of `dev-a` on it. */
async function tokenServer() {
  const server = await NatsServerProcess.start({
    config: {
      extraConfig: `authorization { token: ${quoteNatsConfigString(TOKEN)} }`,
    },
  });
  const agent = await connect({ servers: server.url, token: TOKEN });
  agent.subscribe("device-commands.dev-a.ping", {
    callback: (error, msg) => {
      if (!error) msg.respond(encodeJson(pingReply("dev-a")));
    },
  });
  await agent.flush();
  return {
    url: server.url,
    async [Symbol.asyncDispose]() {
      await agent.close();
      await server[Symbol.asyncDispose]();
    },
  };
}

Deno.test("fleet CLI process connects with --token-file, and fails with exit 3 on a token the server refuses, never printing it", async () => {
  await using server = await tokenServer();
  await using dir = await tempDir();
  const path = `${dir.path}/token`;
  await Deno.writeTextFile(path, `${TOKEN}\n`);

  const good = await runProcess([
    "-s",
    server.url,
    "--token-file",
    path,
    "ping",
    "dev-a",
  ]);
  assert.equal(good.code, ExitCode.Ok, good.stderr);
  assert.match(good.stdout, /^dev-a +ok /m);

  const wrong = "wr0ng-t0ken-s3cret";
  await Deno.writeTextFile(path, `${wrong}\n`);
  const refused = await runProcess([
    "-s",
    server.url,
    "--token-file",
    path,
    "ping",
    "dev-a",
  ]);
  assert.equal(refused.code, ExitCode.Connection, refused.stderr);
  assert.match(
    refused.stderr,
    /authentication failed.*check --user\/--password, --token, --token-file or --creds/,
  );
  for (const output of [refused.stdout, refused.stderr, good.stderr]) {
    assert.ok(!output.includes(wrong) && !output.includes(TOKEN), output);
  }
});

Deno.test("runCli() --token-file wins over NATS_TOKEN", async () => {
  await using server = await tokenServer();
  await using dir = await tempDir();
  const path = `${dir.path}/token`;
  await Deno.writeTextFile(path, TOKEN);
  const result = await run(
    ["-s", server.url, "--token-file", path, "ping", "dev-a"],
    { NATS_TOKEN: "stale-t0ken" },
  );
  assert.equal(result.code, ExitCode.Ok, result.stderr);
});

Deno.test("runCli() exits 2 naming --token-file and the file when it is missing or empty, in --json too", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/token`;
  for (
    const [text, problem] of [
      [undefined, "the file does not exist"],
      ["", "the file is empty"],
    ] as const
  ) {
    await Deno.remove(path).catch(() => {});
    if (text !== undefined) await Deno.writeTextFile(path, text);
    const result = await run([
      "-s",
      "nats://127.0.0.1:1",
      "--token-file",
      path,
      "--json",
      "ping",
      "dev-a",
    ]);
    assert.equal(result.code, ExitCode.Usage, result.stderr);
    assert.equal(
      result.stderr,
      `error: --token-file: Cannot use NATS token file ${
        JSON.stringify(path)
      }: ${problem}\n`,
    );
    const { error } = JSON.parse(result.stdout);
    assert.equal(error.type, "usage");
    assert.equal(error.source, "--token-file");
    assert.equal(error.file, path);
  }
});

Deno.test("runCli() refuses --token-file with --token, --user or --creds", async () => {
  for (
    const [extra, kind] of [
      [["--token", "s3cret"], "token"],
      [["--user", "u", "--password", "s3cret"], "user/password"],
      [["--creds", "/x.creds"], "credentials file"],
    ] as const
  ) {
    const result = await run([
      "-s",
      "nats://127.0.0.1:1",
      "--token-file",
      "/run/token",
      ...extra,
      "ping",
      "dev-a",
    ]);
    assert.equal(result.code, ExitCode.Usage, result.stderr);
    assert.match(
      result.stderr,
      new RegExp(
        `Cannot authenticate: ${
          kind.replace("/", "\\/")
        } and token file cannot be used together; choose one`,
      ),
    );
    assert.ok(!result.stderr.includes("s3cret"), result.stderr);
  }
});
