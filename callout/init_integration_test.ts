import assert from "node:assert/strict";
import { connect } from "../nats/mod.ts";
import {
  MockOidcIssuer,
  NatsServerProcess,
  pickFreePort,
  readTail,
  spawnLogged,
  stopChild,
  tempDir,
  waitFor,
} from "../testing/mod.ts";

Deno.test("main() init writes keys and configs that a nats-server and the callout run with", async () => {
  await using dir = await tempDir();
  await using issuer = await MockOidcIssuer.start();
  const port = pickFreePort();
  const main = new URL("./main.ts", import.meta.url).pathname;
  const init = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      main,
      "init",
      "--dir",
      `${dir.path}/c`,
      "--issuer",
      issuer.url,
      "--audience",
      issuer.audience,
      "--server",
      `nats://127.0.0.1:${port}`,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(init.code, 0, new TextDecoder().decode(init.stderr));
  for (
    const name of [
      "issuer.nk",
      "xkey.nk",
      "callout.toml",
      "nats-server-callout.conf",
    ]
  ) {
    assert.equal(
      (await Deno.stat(`${dir.path}/c/${name}`)).mode! & 0o777,
      0o600,
      name,
    );
  }
  const again = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      main,
      "init",
      "--dir",
      `${dir.path}/c`,
      "--issuer",
      issuer.url,
      "--audience",
      "a",
    ],
    stdout: "null",
    stderr: "null",
  }).output();
  assert.equal(again.code, 2, "never overwrites keys");
  await using server = await NatsServerProcess.start({
    port,
    config: {
      extraConfig: await Deno.readTextFile(
        `${dir.path}/c/nats-server-callout.conf`,
      ),
    },
  });
  const logPath = `${dir.path}/callout.log`;
  const child = spawnLogged(Deno.execPath(), [
    "run",
    "-A",
    main,
    "--config",
    `${dir.path}/c/callout.toml`,
  ], { logPath });
  try {
    await waitFor(
      "callout_ready",
      async () =>
        (await Deno.readTextFile(logPath).catch(() => "")).includes(
          "callout_ready",
        ),
      { timeoutMs: 20_000 },
    ).catch(async (error) => {
      throw new Error(`${error.message}\n${await readTail(logPath)}`);
    });
    const nc = await connect({
      servers: server.url,
      token: await issuer.mint({ subject: "fleet-ops" }),
    });
    await nc.close();
  } finally {
    await stopChild(child, 5_000);
  }
});
