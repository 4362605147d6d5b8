import assert from "node:assert/strict";
import { errors, usernamePasswordAuthenticator } from "@nats-io/nats-core";
import { connect, ServerUrlError } from "./mod.ts";
import { NatsServerProcess, pickFreePort } from "../testing/mod.ts";

/** A password that begins with a digit: nats-core once read it as a port. */
const PASSWORD = "1pw-s3cret";
const USER = { user: "dev", password: PASSWORD };

/** Every message of `err` and its causes, and its stack. */
function allText(err: unknown): string {
  const parts: string[] = [];
  for (let e = err; e instanceof Error; e = e.cause) {
    parts.push(String(e), e.stack ?? "");
  }
  return parts.join("\n");
}

async function failure(promise: Promise<{ close(): Promise<void> }>) {
  return await promise.then(
    (nc) => nc.close().then(() => assert.fail("connect should fail")),
    (e: unknown) => e,
  );
}

Deno.test("connect() authenticates with the user and password of a URL, a password beginning with a digit included", async () => {
  await using server = await NatsServerProcess.start({
    config: { admin: USER },
  });
  for (
    const url of [
      `nats://dev:${PASSWORD}@127.0.0.1:${server.port}`,
      `dev:${PASSWORD}@127.0.0.1:${server.port}`,
    ]
  ) {
    const nc = await connect({ servers: url, reconnect: false });
    try {
      // Only an authenticated client gets this far on this server.
      nc.subscribe("auth.echo", { callback: (_e, m) => void m.respond("ok") });
      const reply = await nc.request("auth.echo", "", { timeout: 2_000 });
      assert.equal(reply.string(), "ok");
      assert.equal(nc.getServer(), `127.0.0.1:${server.port}`);
    } finally {
      await nc.close();
    }
  }
});

Deno.test("connect() authenticates with a percent-encoded password and with a token from the URL", async () => {
  await using byUser = await NatsServerProcess.start({
    config: { admin: { user: "dev", password: "1p@ss:w/rd" } },
  });
  const nc = await connect({
    servers: `nats://dev:1p%40ss%3Aw%2Frd@127.0.0.1:${byUser.port}`,
  });
  await nc.flush();
  await nc.close();

  await using byToken = await NatsServerProcess.start({
    config: { extraConfig: 'authorization { token: "9tok-s3cret" }' },
  });
  const withToken = await connect({
    servers: `nats://9tok-s3cret@127.0.0.1:${byToken.port}`,
  });
  await withToken.flush();
  await withToken.close();
  const err = await failure(
    connect({ servers: `nats://wrong-token@127.0.0.1:${byToken.port}` }),
  );
  assert.ok(err instanceof errors.AuthorizationError, String(err));
  assert.doesNotMatch(allText(err), /wrong-token/);
});

Deno.test("connect() never puts the password of a URL into an error", async () => {
  await using server = await NatsServerProcess.start({
    config: { admin: USER },
  });
  const wrong = await failure(
    connect({
      servers: `nats://dev:9wrong-pw@127.0.0.1:${server.port}`,
      reconnect: false,
    }),
  );
  assert.ok(wrong instanceof errors.AuthorizationError, String(wrong));
  assert.doesNotMatch(allText(wrong), /9wrong-pw/);

  const deadPort = pickFreePort();
  const unreachable = await failure(
    connect({
      servers: `nats://dev:${PASSWORD}@127.0.0.1:${deadPort}`,
      reconnect: false,
    }),
  );
  assert.ok(unreachable instanceof errors.ConnectionError, String(unreachable));
  assert.ok(!allText(unreachable).includes(PASSWORD), allText(unreachable));

  const bothDead = await failure(
    connect({
      servers: [
        `nats://dev:${PASSWORD}@127.0.0.1:${deadPort}`,
        `nats://dev:${PASSWORD}@127.0.0.1:${pickFreePort()}`,
      ],
    }),
  );
  assert.ok(bothDead instanceof errors.ConnectionError, String(bothDead));
  assert.ok(
    bothDead.message.includes(`"nats://127.0.0.1:${deadPort}"`),
    bothDead.message,
  );
  assert.ok(!allText(bothDead).includes(PASSWORD), allText(bothDead));
});

Deno.test("connect() refuses credentials in a URL together with credential options, saying which", async () => {
  const url = `nats://dev:${PASSWORD}@127.0.0.1:4222`;
  for (
    const [options, named] of [
      [{ user: "dev", pass: PASSWORD }, /"user", "pass"/],
      [{ token: "t" }, /"token"/],
      [
        { authenticator: usernamePasswordAuthenticator("a", "b") },
        /"authenticator"/,
      ],
    ] as const
  ) {
    await assert.rejects(
      connect({ servers: [url], ...options }),
      (err: unknown) => {
        assert.ok(err instanceof ServerUrlError, String(err));
        assert.ok(err instanceof TypeError);
        assert.equal(err.value, "nats://dev:***@127.0.0.1:4222");
        assert.match(err.message, named);
        assert.ok(!allText(err).includes(PASSWORD), allText(err));
        return true;
      },
    );
  }
});
