import assert from "node:assert/strict";
import { CliConnectionError, CliUsageError } from "./errors.ts";

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
    'Cannot connect to NATS at "nats://h:4222": authentication failed (Authorization Violation); check --user/--password, --token, --token-file or --creds',
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

Deno.test("CliConnectionError() never shows a URL's password, in servers or in the cause", () => {
  const error = new CliConnectionError("nats://op:s3cret@h:4222", "failed", {
    cause: new Error("cannot dial nats://op:s3cret@h:4222"),
  });
  assert.equal(error.servers, "nats://op:***@h:4222");
  assert.ok(!error.message.includes("s3cret"), error.message);
});

Deno.test("CliUsageError() keeps source and file and redacts URLs in its message", () => {
  const error = new CliUsageError("NATS_URL: bad nats://u:pw@h:99999", {
    source: "NATS_URL",
    file: "/x.creds",
  });
  assert.equal(error.name, "CliUsageError");
  assert.equal(error.source, "NATS_URL");
  assert.equal(error.file, "/x.creds");
  assert.equal(error.message, "NATS_URL: bad nats://u:***@h:99999");
});

Deno.test("CliConnectionError() says TLS failed and what to fix", () => {
  const cause = new Error(
    'Cannot connect to "127.0.0.1:4222": invalid peer certificate: UnknownIssuer',
  );
  const error = new CliConnectionError("tls://127.0.0.1:4222", "tls", {
    cause,
  });
  assert.equal(error.reason, "tls");
  assert.equal(
    error.message,
    'Cannot connect to NATS at "tls://127.0.0.1:4222": TLS failed (' +
      cause.message +
      "); the server's certificate is signed by a CA this machine does not trust: give that CA with --tlsca",
  );
});
