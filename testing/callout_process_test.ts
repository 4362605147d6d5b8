import assert from "node:assert/strict";
import { errors as natsErrors } from "@nats-io/nats-core";
import { connect } from "../nats/mod.ts";
import {
  CalloutProcess,
  CalloutStartError,
  generateCalloutKeys,
  MockOidcIssuer,
  NatsServerProcess,
  tempDir,
  TEST_ADMIN,
} from "./mod.ts";

Deno.test("CalloutProcess.start() serves logins: a device token connects, a bad one is refused", async () => {
  await using dir = await tempDir();
  const keys = generateCalloutKeys();
  await using issuer = await MockOidcIssuer.start();
  await using server = await NatsServerProcess.start({
    config: { admin: TEST_ADMIN, callout: { keys } },
  });
  await using callout = await CalloutProcess.start({
    dir: dir.path,
    servers: server.url,
    keys,
    issuer,
  });
  const token = await issuer.mint({ subject: "device-d1" });
  const nc = await connect({ servers: server.url, token });
  await nc.flush();
  await nc.close();
  await assert.rejects(
    connect({
      servers: server.url,
      token: "not-a-jwt",
      maxReconnectAttempts: 0,
    }),
    natsErrors.AuthorizationError,
  );
  const admin = await connect({
    servers: server.url,
    user: TEST_ADMIN.user,
    pass: TEST_ADMIN.password,
  });
  await admin.close();
  const events = await callout.events();
  assert.ok(
    events.some((e) => e.event === "auth_allowed" && e.subject === "device-d1"),
  );
  assert.ok(
    events.some((e) =>
      e.event === "auth_refused" && e.reason === "token_malformed"
    ),
  );
  const log = await Deno.readTextFile(callout.logPath);
  assert.ok(!log.includes(token), "the token is never logged");
});

Deno.test("CalloutProcess.start() rejects with CalloutStartError when the callout exits", async () => {
  await using dir = await tempDir();
  const keys = generateCalloutKeys();
  const error = await CalloutProcess.start({
    dir: dir.path,
    servers: "nats://127.0.0.1:1",
    keys: { ...keys, issuerSeed: "not a seed" },
    issuer: { url: "http://127.0.0.1:1", audience: "a" },
  }).then(() => undefined, (error) => error);
  assert.ok(error instanceof CalloutStartError);
  assert.match(error.message, /exited with code 2/);
  assert.match(error.logTail, /callout\.issuer_seed_file/);
});
