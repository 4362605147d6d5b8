import assert from "node:assert/strict";
import { errors, headers } from "@nats-io/nats-core";
import type { NatsConnection, Status } from "@nats-io/nats-core";
import { connect, ServerUrlError } from "./mod.ts";
import { NatsServerProcess, TEST_ADMIN, waitFor } from "../testing/mod.ts";

/** A server that only `TEST_ADMIN` may use. */
const AUTH = { config: { admin: TEST_ADMIN } };
const { user: USER, password: PASSWORD } = TEST_ADMIN;
const AUTH_MESSAGE = /authentication|authorization/i;

/** A connection that answers `echo` with the request's data and headers. */
async function echoResponder(servers: string): Promise<NatsConnection> {
  const nc = await connect({
    servers,
    user: USER,
    pass: PASSWORD,
    reconnectTimeWait: 50,
    maxReconnectAttempts: -1,
  });
  nc.subscribe("echo", {
    callback: (_err, msg) => {
      const h = headers();
      h.set("X-Echo", msg.headers?.get("X-Request") ?? "");
      msg.respond(msg.data, { headers: h });
    },
  });
  await nc.flush();
  return nc;
}

Deno.test("connect() round-trips a request and its reply", async () => {
  await using server = await NatsServerProcess.start(AUTH);
  const responder = await echoResponder(server.url);
  const nc = await connect({ servers: server.url, user: USER, pass: PASSWORD });
  try {
    const reply = await nc.request("echo", "hello", { timeout: 2_000 });
    assert.equal(reply.string(), "hello");
    const big = new Uint8Array(300_000).map((_, i) => i % 251);
    const bigReply = await nc.request("echo", big, { timeout: 2_000 });
    assert.deepEqual(bigReply.data, big);
  } finally {
    await nc.close();
    await responder.close();
  }
});

Deno.test("connect() carries headers both ways", async () => {
  await using server = await NatsServerProcess.start(AUTH);
  const responder = await echoResponder(server.url);
  const nc = await connect({ servers: server.url, user: USER, pass: PASSWORD });
  try {
    const h = headers();
    h.set("X-Request", "r-42");
    const reply = await nc.request("echo", "", { timeout: 2_000, headers: h });
    assert.equal(reply.headers?.get("X-Echo"), "r-42");
  } finally {
    await nc.close();
    await responder.close();
  }
});

Deno.test("connect() gives no responders at once", async () => {
  await using server = await NatsServerProcess.start();
  const nc = await connect({ servers: server.url });
  try {
    const started = performance.now();
    const err = await nc.request("nobody.home", "", { timeout: 5_000 }).then(
      () => assert.fail("request should fail"),
      (e: unknown) => e,
    );
    const elapsed = performance.now() - started;
    assert.ok(err instanceof errors.RequestError, String(err));
    assert.ok(err.cause instanceof errors.NoRespondersError, String(err.cause));
    assert.ok(elapsed < 1_000, `took ${elapsed} ms`);
  } finally {
    await nc.close();
  }
});

Deno.test("connect() reconnects when the server comes back", async () => {
  await using server = await NatsServerProcess.start(AUTH);
  // Holds the server started again, so it outlives the connections.
  await using restarted = new AsyncDisposableStack();
  const responder = await echoResponder(server.url);
  const nc = await connect({
    servers: server.url,
    user: USER,
    pass: PASSWORD,
    reconnectTimeWait: 50,
    maxReconnectAttempts: -1,
  });
  const seen: Status["type"][] = [];
  const watching = (async () => {
    for await (const s of nc.status()) seen.push(s.type);
  })();
  try {
    assert.equal(
      (await nc.request("echo", "before", { timeout: 2_000 })).string(),
      "before",
    );
    await server.kill();
    await waitFor("disconnect", () => seen.includes("disconnect"), {
      timeoutMs: 5_000,
      intervalMs: 20,
    });
    restarted.use(
      await NatsServerProcess.start({ ...AUTH, port: server.port }),
    );
    const reply = await waitFor(
      "a request after the restart",
      () =>
        nc.request("echo", "after", { timeout: 250 }).then(
          (msg) => msg.string(),
          () => undefined,
        ),
      { timeoutMs: 10_000, intervalMs: 20 },
    );
    assert.equal(reply, "after");
    assert.ok(seen.includes("reconnect"), seen.join(","));
  } finally {
    await nc.close();
    await responder.close();
    await watching;
  }
});

Deno.test("connect() rejects a wrong password with an authorization error, 20 times", async () => {
  await using server = await NatsServerProcess.start(AUTH);
  for (let i = 0; i < 20; i++) {
    const err = await connect({
      servers: server.url,
      user: USER,
      pass: "wrong",
    })
      .then(
        async (nc) => {
          await nc.close();
          assert.fail("connect should fail");
        },
        (e: unknown) => e,
      );
    assert.ok(err instanceof errors.AuthorizationError, String(err));
    assert.match(err.message, AUTH_MESSAGE);
  }
  // The process (and the server) are still fine.
  const nc = await connect({ servers: server.url, user: USER, pass: PASSWORD });
  await nc.flush();
  await nc.close();
});

Deno.test("connect() rejects a wrong password 20 times without crashing a process", async () => {
  await using server = await NatsServerProcess.start(AUTH);
  const script = `${server.dir}/wrong_password.ts`;
  await Deno.writeTextFile(
    script,
    `import { connect } from ${JSON.stringify(import.meta.resolve("./mod.ts"))};
const [servers, user, pass] = Deno.args;
for (let i = 0; i < 20; i++) {
  try {
    const nc = await connect({ servers, user, pass: "wrong" });
    await nc.close();
    console.log("connected");
  } catch (e) {
    console.log((e as Error).name + ": " + (e as Error).message);
  }
}
const nc = await connect({ servers, user, pass });
await nc.flush();
await nc.close();
console.log("done");
`,
  );
  const config = new URL("../deno.json", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      config,
      script,
      server.url,
      USER,
      PASSWORD,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `exit ${out.code}\n${stdout}\n${stderr}`);
  const lines = stdout.trim().split("\n");
  assert.equal(lines.length, 21, stdout);
  for (const line of lines.slice(0, 20)) {
    assert.match(line, /^AuthorizationError: /);
    assert.match(line, AUTH_MESSAGE);
  }
  assert.equal(lines[20], "done");
  assert.doesNotMatch(stderr, /uncaught|error/i);
});

Deno.test("connect() rejects ws:// servers with a ServerUrlError", async () => {
  await assert.rejects(
    connect({ servers: ["127.0.0.1:4222", "ws://127.0.0.1:8080"] }),
    (err: unknown) => {
      assert.ok(err instanceof ServerUrlError, String(err));
      assert.equal(err.value, "ws://127.0.0.1:8080");
      assert.match(err.message, /scheme "ws" is not supported/);
      return true;
    },
  );
});

Deno.test("connect() rejects a server that is not listening", async () => {
  await using server = await NatsServerProcess.start();
  await server.kill();
  await assert.rejects(
    connect({ servers: server.url, reconnect: false }),
    (err: unknown) => {
      assert.ok(err instanceof errors.ConnectionError, String(err));
      assert.match(err.message, /refused/);
      return true;
    },
  );
});

Deno.test("connect() gives up on a peer that never sends INFO", async () => {
  // Not a NATS server: it accepts and stays silent.
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) accepted.push(conn);
  })();
  try {
    const started = performance.now();
    await assert.rejects(
      connect({
        servers: `127.0.0.1:${listener.addr.port}`,
        timeout: 300,
        reconnect: false,
      }),
      (err: unknown) => {
        assert.ok(err instanceof errors.TimeoutError, String(err));
        return true;
      },
    );
    assert.ok(performance.now() - started < 2_000);
  } finally {
    listener.close();
    await accepting.catch(() => {});
    for (const conn of accepted) conn.close();
  }
});

Deno.test("NatsConnection.close() is idempotent and releases every resource", async (t) => {
  await using server = await NatsServerProcess.start();
  // A step checks for leaked ops and resources while the server still runs,
  // so a socket left open by the transport fails it.
  await t.step("connect, request, close twice", async () => {
    const nc = await connect({ servers: server.url });
    nc.subscribe("idem", { callback: (_e, m) => void m.respond("ok") });
    assert.equal(
      (await nc.request("idem", "", { timeout: 2_000 })).string(),
      "ok",
    );
    const started = performance.now();
    await nc.close();
    // Closing must not wait for the server to send something (its first PING
    // comes after 2 s).
    assert.ok(performance.now() - started < 1_000, "close() took a second");
    await nc.close();
    assert.equal(await nc.closed(), undefined);
    assert.ok(nc.isClosed());
  });
});
