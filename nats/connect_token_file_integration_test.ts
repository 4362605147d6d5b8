import assert from "node:assert/strict";
import { errors } from "@nats-io/nats-core";
import { authConnectionOptions, connect } from "./mod.ts";
import {
  NatsServerProcess,
  quoteNatsConfigString,
  tempDir,
  waitFor,
} from "../testing/mod.ts";

const tokenConfig = (token: string) =>
  `authorization { token: ${quoteNatsConfigString(token)} }`;

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

Deno.test("connect() with a token file reconnects with the token the file holds by then", async () => {
  await using dir = await tempDir("fleet-token-file-it-");
  const tokenFile = `${dir.path}/token`;
  await Deno.writeTextFile(tokenFile, "first-t0ken\n");
  await using server = await NatsServerProcess.start({
    config: { extraConfig: tokenConfig("first-t0ken") },
  });
  const nc = await connect({
    servers: server.url,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 50,
    ...await authConnectionOptions({ tokenFile }),
  });
  try {
    const statuses: string[] = [];
    (async () => {
      for await (const status of nc.status()) statuses.push(status.type);
    })();
    // The refresher writes the new token, then the server stops taking the
    // old one and drops the client, which must come back with the new one.
    await Deno.writeTextFile(`${tokenFile}.new`, "second-t0ken\n");
    await Deno.rename(`${tokenFile}.new`, tokenFile);
    await reloadWithToken(server, "second-t0ken");
    await waitFor(
      "the client to reconnect after the reload",
      () => statuses.includes("reconnect"),
      { timeoutMs: 10_000 },
    );
    nc.subscribe("token.echo", { callback: (_e, m) => void m.respond("ok") });
    const reply = await nc.request("token.echo", "", { timeout: 2_000 });
    assert.equal(reply.string(), "ok");
    assert.ok(statuses.includes("disconnect"), statuses.join(","));
  } finally {
    await nc.close();
  }
});

Deno.test("connect() with a token file whose token the server refuses fails with AuthorizationError", async () => {
  await using dir = await tempDir("fleet-token-file-it-");
  const tokenFile = `${dir.path}/token`;
  await Deno.writeTextFile(tokenFile, "wrong-t0ken\n");
  await using server = await NatsServerProcess.start({
    config: { extraConfig: tokenConfig("right-t0ken") },
  });
  const error = await connect({
    servers: server.url,
    reconnect: false,
    ...await authConnectionOptions({ tokenFile }),
  }).then(
    (nc) => nc.close().then(() => assert.fail("connect should fail")),
    (e: unknown) => e,
  );
  assert.ok(error instanceof errors.AuthorizationError, String(error));
  assert.ok(!String(error).includes("wrong-t0ken"));
});
