import assert from "node:assert/strict";
import {
  CalloutProcess,
  CalloutStartError,
  generateCalloutKeys,
  MockOidcIssuer,
  NatsServerProcess,
  tempDir,
} from "../testing/mod.ts";
import { CalloutExitCode } from "./exit_codes.ts";

Deno.test("main() stops on SIGTERM with exit 0 and logs what it did", async () => {
  await using dir = await tempDir();
  const keys = generateCalloutKeys();
  await using issuer = await MockOidcIssuer.start();
  await using server = await NatsServerProcess.start({
    config: { callout: { keys } },
  });
  const callout = await CalloutProcess.start({
    dir: dir.path,
    servers: server.url,
    keys,
    issuer,
  });
  await callout[Symbol.asyncDispose]();
  assert.equal(callout.exitStatus?.code, CalloutExitCode.Ok);
  const events = (await callout.events()).map((e) => e.event);
  assert.deepEqual(events.slice(-2), ["signal_received", "stopped"]);
});

Deno.test("main() exits 3 when nats-server refuses the auth_users credentials", async () => {
  await using dir = await tempDir();
  const keys = generateCalloutKeys();
  await using server = await NatsServerProcess.start({
    config: { callout: { keys } },
  });
  const error = await CalloutProcess.start({
    dir: dir.path,
    servers: server.url,
    keys,
    issuer: { url: "http://127.0.0.1:1", audience: "a" },
    credentials: { user: "callout", password: "wrong-password" },
  }).then(() => undefined, (e) => e);
  assert.ok(error instanceof CalloutStartError);
  assert.match(error.message, /exited with code 3/);
  assert.match(error.logTail, /nats_auth_failed/);
  assert.ok(!error.logTail.includes("wrong-password"));
});

Deno.test("main() exits 2 naming the key of a bad config", async () => {
  await using dir = await tempDir();
  const path = `${dir.path}/callout.toml`;
  await Deno.writeTextFile(path, '[nats]\nservers = "nats://127.0.0.1:4222"\n');
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      new URL("./main.ts", import.meta.url).pathname,
      "--config",
      path,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, CalloutExitCode.Config);
  const line = JSON.parse(new TextDecoder().decode(output.stderr).trim());
  assert.equal(line.event, "config_invalid");
  assert.equal(line.key, "callout.issuer_seed_file");
  assert.equal(line.path, path);
});
