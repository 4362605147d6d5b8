import assert from "node:assert/strict";
import { PermissionViolationError } from "@nats-io/nats-core";
import { connect } from "../nats/mod.ts";
import { findNatsServer } from "./nats_server_binary.ts";
import {
  NatsServerProcess,
  NatsServerStartError,
} from "./nats_server_process.ts";

const admin = { user: "admin", password: "admin-pw" };
const devices = [
  { deviceId: "dev-a", user: "device-dev-a", password: "pw-a" },
  { deviceId: "dev-b", user: "device-dev-b", password: "pw-b" },
];

async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix: "fleet-nats-test-" });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

function processExists(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

async function startServer(dir: string): Promise<NatsServerProcess> {
  return await NatsServerProcess.start({
    dir,
    config: { admin, devices },
    binary: await findNatsServer(),
  });
}

Deno.test("NatsServerProcess.start() runs a server that admin and devices can use", async () => {
  await using dir = await tempDir();
  await using server = await startServer(dir.path);
  assert.equal(server.url, `nats://127.0.0.1:${server.port}`);
  assert.equal(server.logPath, `${dir.path}/nats-server.log`);
  assert.match(await Deno.readTextFile(server.logPath), /Server is ready/);
  assert.match(await Deno.readTextFile(server.logPath), /JetStream/);

  const operator = await connect({
    servers: server.url,
    user: admin.user,
    pass: admin.password,
  });
  const device = await connect({
    servers: server.url,
    user: devices[0].user,
    pass: devices[0].password,
  });
  try {
    const sub = device.subscribe("device-commands.dev-a.>", {
      callback: (_err, msg) => {
        msg.respond("pong");
      },
    });
    await device.flush();
    const reply = await operator.request("device-commands.dev-a.ping", "", {
      timeout: 2000,
    });
    assert.equal(reply.string(), "pong");

    const heartbeats = operator.subscribe("device-heartbeat.dev-a", { max: 1 });
    await operator.flush();
    device.publish("device-heartbeat.dev-a", "beat");
    for await (const msg of heartbeats) assert.equal(msg.string(), "beat");
    sub.unsubscribe();
  } finally {
    await device.close();
    await operator.close();
  }
});

Deno.test("NatsServerProcess.start() config forbids a device to read another device's commands", async () => {
  await using dir = await tempDir();
  await using server = await startServer(dir.path);
  const device = await connect({
    servers: server.url,
    user: devices[0].user,
    pass: devices[0].password,
  });
  try {
    for (
      const subject of [
        "device-commands.dev-b.>",
        "device-commands.>",
        ">",
        "_INBOX.>",
      ]
    ) {
      const sub = device.subscribe(subject);
      // The server's -ERR arrives before the flush's PONG.
      const closed = await Promise.race([
        sub.closed,
        device.flush().then(() => "still open"),
      ]);
      assert.ok(
        closed instanceof PermissionViolationError,
        `${subject}: ${closed}`,
      );
      assert.equal(closed.operation, "subscription");
      assert.equal(closed.subject, subject);
    }
  } finally {
    await device.close();
  }
});

Deno.test("NatsServerProcess.start() config forbids a device to publish on other subjects", async () => {
  await using dir = await tempDir();
  await using server = await startServer(dir.path);
  const device = await connect({
    servers: server.url,
    user: devices[0].user,
    pass: devices[0].password,
  });
  const errors: Error[] = [];
  let onError = () => {};
  const watching = (async () => {
    for await (const event of device.status()) {
      if (event.type === "error") {
        errors.push(event.error);
        onError();
      }
    }
  })();
  /** The next error status, or undefined if none came within 2 s. */
  const nextError = async (): Promise<Error | undefined> => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      onError = resolve;
      if (errors.length > 0) resolve();
      timer = setTimeout(resolve, 2000);
    });
    clearTimeout(timer);
    return errors.shift();
  };
  try {
    for (
      const subject of [
        "device-heartbeat.dev-b",
        "device-commands.dev-b.ping",
        "device-commands.dev-a.ping",
      ]
    ) {
      device.publish(subject, "x");
      const error = await nextError();
      assert.ok(
        error instanceof PermissionViolationError,
        `${subject}: ${error}`,
      );
      assert.equal(error.operation, "publish");
      assert.equal(error.subject, subject);
    }
    // Its own heartbeat subject is allowed: no error before the flush's PONG.
    device.publish("device-heartbeat.dev-a", "allowed");
    await device.flush();
    await device.flush();
    assert.equal(errors.length, 0, String(errors));
  } finally {
    await device.close();
    await watching;
  }
});

Deno.test("NatsServerProcess[Symbol.asyncDispose]() stops the process, idempotently", async () => {
  await using dir = await tempDir();
  const server = await startServer(dir.path);
  assert.ok(processExists(server.pid));
  await Promise.all([
    server[Symbol.asyncDispose](),
    server[Symbol.asyncDispose](),
  ]);
  await server[Symbol.asyncDispose]();
  assert.equal(processExists(server.pid), false);
  await assert.rejects(
    Deno.connect({ hostname: "127.0.0.1", port: server.port }),
  );
});

Deno.test("NatsServerProcess.start() reports a nonexistent binary clearly", async () => {
  await using dir = await tempDir();
  await assert.rejects(
    NatsServerProcess.start({
      dir: dir.path,
      config: { admin },
      binary: "/nonexistent/nats-server",
    }),
    (error) => {
      assert.ok(error instanceof NatsServerStartError);
      assert.match(
        error.message,
        /^Cannot start nats-server "\/nonexistent\/nats-server": it is not an executable file$/,
      );
      return true;
    },
  );
});

Deno.test("NatsServerProcess.start() reports an early exit with the tail of the log", async () => {
  await using dir = await tempDir();
  const fake = `${dir.path}/fake-nats-server`;
  await Deno.writeTextFile(
    fake,
    "#!/bin/sh\necho 'line one' >&2\necho 'nats-server: boom' >&2\nexit 3\n",
  );
  await Deno.chmod(fake, 0o755);
  await assert.rejects(
    NatsServerProcess.start({ dir: dir.path, config: { admin }, binary: fake }),
    (error) => {
      assert.ok(error instanceof NatsServerStartError);
      assert.match(error.message, /exited with code 3 before it was ready/);
      assert.equal(error.logTail, "line one\nnats-server: boom");
      assert.equal(error.addressInUse, false);
      return true;
    },
  );
  assert.equal(
    await Deno.readTextFile(`${dir.path}/nats-server.log`),
    "line one\nnats-server: boom\n",
  );
});

Deno.test("NatsServerProcess.start() on a taken port fails with addressInUse", async () => {
  await using dir = await tempDir();
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  await assert.rejects(
    NatsServerProcess.start({
      dir: dir.path,
      config: { admin },
      port,
      binary: await findNatsServer(),
    }),
    (error) => {
      assert.ok(error instanceof NatsServerStartError);
      assert.equal(error.addressInUse, true);
      assert.match(
        error.message,
        new RegExp(`on port ${port} exited with code 1`),
      );
      return true;
    },
  );
});
