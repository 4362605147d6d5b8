import assert from "node:assert/strict";
import { cliConnectionOptions } from "./connection.ts";
import { CliUsageError } from "./errors.ts";
import { resolveConnectionSettings } from "./settings.ts";
import { tempDir } from "../../testing/mod.ts";

Deno.test("cliConnectionOptions() builds one-shot options without reconnects", async () => {
  const settings = resolveConnectionSettings([{
    server: { value: "nats://a:4222, nats://b:4222", from: "--server" },
    user: { value: "admin", from: "--user" },
    password: { value: "pw", from: "--password" },
  }]);
  const options = await cliConnectionOptions(settings, { timeoutMs: 1500 });
  assert.deepEqual(options.servers, ["nats://a:4222", "nats://b:4222"]);
  assert.equal(options.user, "admin");
  assert.equal(options.pass, "pw");
  assert.equal(options.token, undefined);
  assert.equal(options.reconnect, false);
  assert.equal(options.maxReconnectAttempts, -1);
  assert.equal(options.timeout, 1500);
});

Deno.test("cliConnectionOptions() rejects --password without --user, naming the flag", async () => {
  const settings = resolveConnectionSettings([{
    password: { value: "pw", from: "--password" },
  }]);
  await assert.rejects(
    cliConnectionOptions(settings, { timeoutMs: 1 }),
    (error) => {
      assert.ok(error instanceof CliUsageError);
      assert.equal(
        error.message,
        "Cannot authenticate: a password needs a user (given: --password)",
      );
      return true;
    },
  );
});

Deno.test("cliConnectionOptions() names a --creds file that does not exist", async () => {
  await using dir = await tempDir();
  const missing = `${dir.path}/nope.creds`;
  const settings = resolveConnectionSettings([{
    creds: { value: missing, from: "--creds" },
  }]);
  await assert.rejects(
    cliConnectionOptions(settings, { timeoutMs: 1 }),
    (error) => {
      assert.ok(error instanceof CliUsageError);
      assert.equal(error.source, "--creds");
      assert.equal(error.file, missing);
      assert.equal(
        error.message,
        `--creds: Cannot use NATS credentials file ${
          JSON.stringify(missing)
        }: the file does not exist`,
      );
      return true;
    },
  );
});

Deno.test("cliConnectionOptions() names a --token-file that is missing or empty, never the token", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/token`;
  const settings = resolveConnectionSettings([{
    tokenFile: { value: path, from: "--token-file" },
  }]);
  for (
    const [text, problem] of [[undefined, "the file does not exist"], [
      "\n",
      "the file holds only whitespace",
    ]] as const
  ) {
    await Deno.remove(path).catch(() => {});
    if (text !== undefined) await Deno.writeTextFile(path, text);
    await assert.rejects(
      cliConnectionOptions(settings, { timeoutMs: 1 }),
      (error) => {
        assert.ok(error instanceof CliUsageError);
        assert.equal(error.source, "--token-file");
        assert.equal(error.file, path);
        assert.equal(
          error.message,
          `--token-file: Cannot use NATS token file ${
            JSON.stringify(path)
          }: ${problem}`,
        );
        return true;
      },
    );
  }
  await Deno.writeTextFile(path, "s3cret-t0ken\n");
  const options = await cliConnectionOptions(settings, { timeoutMs: 1 });
  assert.equal(options.token, undefined);
  assert.equal(typeof options.authenticator, "function");
});

Deno.test("cliConnectionOptions() refuses --token-file with --token, naming both", async () => {
  const settings = resolveConnectionSettings([{
    token: { value: "s3cret", from: "--token" },
    tokenFile: { value: "/run/token", from: "--token-file" },
  }]);
  await assert.rejects(
    cliConnectionOptions(settings, { timeoutMs: 1 }),
    (error) => {
      assert.ok(error instanceof CliUsageError);
      assert.equal(
        error.message,
        "Cannot authenticate: token and token file cannot be used together; choose one (given: --token, --token-file)",
      );
      return true;
    },
  );
});

Deno.test("cliConnectionOptions() passes a context's inbox prefix on", async () => {
  const settings = resolveConnectionSettings([]);
  const plain = await cliConnectionOptions(settings, { timeoutMs: 1 });
  assert.equal("inboxPrefix" in plain, false);
  const prefixed = await cliConnectionOptions(settings, {
    timeoutMs: 1,
    inboxPrefix: "_INBOX_op",
  });
  assert.equal(prefixed.inboxPrefix, "_INBOX_op");
});
