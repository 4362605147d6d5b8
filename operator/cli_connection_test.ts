import assert from "node:assert/strict";
import {
  CliConnectionError,
  CliUsageError,
  connectionOptionsFromFlags,
} from "./cli_connection.ts";

Deno.test("connectionOptionsFromFlags() builds one-shot options without reconnects", async () => {
  const options = await connectionOptionsFromFlags({
    server: "nats://a:4222, nats://b:4222",
    user: "admin",
    password: "pw",
    timeoutMs: 1500,
  });
  assert.deepEqual(options.servers, ["nats://a:4222", "nats://b:4222"]);
  assert.equal(options.user, "admin");
  assert.equal(options.pass, "pw");
  assert.equal(options.token, undefined);
  assert.equal(options.reconnect, false);
  assert.equal(options.maxReconnectAttempts, 0);
  assert.equal(options.timeout, 1500);
});

Deno.test("connectionOptionsFromFlags() rejects --password without --user and an empty --server", async () => {
  await assert.rejects(
    connectionOptionsFromFlags({
      server: "nats://a",
      password: "pw",
      timeoutMs: 1,
    }),
    (error) => {
      assert.ok(error instanceof CliUsageError);
      assert.equal(error.message, "--password needs --user");
      return true;
    },
  );
  await assert.rejects(
    connectionOptionsFromFlags({ server: " , ", timeoutMs: 1 }),
    (error) => {
      assert.ok(error instanceof CliUsageError);
      assert.match(error.message, /^Invalid value " , " for --server/);
      return true;
    },
  );
});

Deno.test("connectionOptionsFromFlags() names a --creds file that does not exist", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const missing = `${dir}/nope.creds`;
    await assert.rejects(
      connectionOptionsFromFlags({
        server: "nats://a",
        creds: missing,
        timeoutMs: 1,
      }),
      (error) => {
        assert.ok(error instanceof CliUsageError);
        assert.equal(
          error.message,
          `Cannot read --creds file ${JSON.stringify(missing)}: no such file`,
        );
        assert.ok(error.cause instanceof Deno.errors.NotFound);
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("CliConnectionError() says authentication failed and how to fix it", () => {
  const cause = new Error("Authorization Violation");
  const error = new CliConnectionError("nats://h:4222", "authentication", {
    cause,
  });
  assert.equal(error.name, "CliConnectionError");
  assert.equal(error.reason, "authentication");
  assert.equal(error.cause, cause);
  assert.equal(
    error.message,
    'Cannot connect to NATS at "nats://h:4222": authentication failed (Authorization Violation); check --user/--password, --token or --creds',
  );
});

Deno.test("CliConnectionError() tells an unreachable server from other failures", () => {
  assert.equal(
    new CliConnectionError("nats://h:1", "unreachable", {
      cause: new Error("connection refused"),
    }).message,
    'Cannot connect to NATS at "nats://h:1": server unreachable (connection refused)',
  );
  assert.equal(
    new CliConnectionError("nats://h:1", "failed", {
      cause: new Error("unable to parse credentials"),
    }).message,
    'Cannot connect to NATS at "nats://h:1": connection failed (unable to parse credentials)',
  );
});
