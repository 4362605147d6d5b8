import assert from "node:assert/strict";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "../nats/mod.ts";
import { findNatsServer } from "./nats_server_binary.ts";
import {
  type Credentials,
  quoteNatsConfigString,
} from "./nats_server_config.ts";
import {
  NatsServerProcess,
  NatsServerStartError,
} from "./nats_server_process.ts";
import {
  assertPublishDenied,
  assertSubscribeDenied,
  exists,
  processAlive,
  tempDir,
  waitFor,
  watchErrors,
} from "./mod.ts";

const admin = { user: "admin", password: "admin-pw" };
const devices = [
  { deviceId: "dev-a", user: "device-dev-a", password: "pw-a" },
  { deviceId: "dev-b", user: "device-dev-b", password: "pw-b" },
];

async function startServer(dir: string): Promise<NatsServerProcess> {
  return await NatsServerProcess.start({
    dir,
    config: { admin, devices },
    binary: await findNatsServer(),
  });
}

function connectAs(
  server: NatsServerProcess,
  { user, password }: Credentials,
): Promise<NatsConnection> {
  return connect({ servers: server.url, user, pass: password });
}

Deno.test("NatsServerProcess.start() runs a server that admin and devices can use", async () => {
  await using dir = await tempDir();
  await using server = await startServer(dir.path);
  assert.equal(server.url, `nats://127.0.0.1:${server.port}`);
  assert.equal(server.logPath, `${dir.path}/nats-server.log`);
  assert.match(await Deno.readTextFile(server.logPath), /Server is ready/);
  assert.match(await Deno.readTextFile(server.logPath), /JetStream/);

  const operator = await connectAs(server, admin);
  const device = await connectAs(server, devices[0]);
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
  const device = await connectAs(server, devices[0]);
  try {
    for (
      const subject of [
        "device-commands.dev-b.>",
        "device-commands.>",
        ">",
        "_INBOX.>",
      ]
    ) {
      await assertSubscribeDenied(device, subject);
    }
  } finally {
    await device.close();
  }
});

Deno.test("NatsServerProcess.start() config forbids a device to publish on other subjects", async () => {
  await using dir = await tempDir();
  await using server = await startServer(dir.path);
  const device = await connectAs(server, devices[0]);
  const watch = watchErrors(device);
  try {
    for (
      const subject of [
        "device-heartbeat.dev-b",
        "device-commands.dev-b.ping",
        "device-commands.dev-a.ping",
      ]
    ) {
      await assertPublishDenied(watch, subject);
    }
    // Its own heartbeat subject is allowed: no error before the flush's PONG.
    device.publish("device-heartbeat.dev-a", "allowed");
    await device.flush();
    await device.flush();
    assert.equal(watch.errors.length, 0, String(watch.errors));
  } finally {
    await device.close();
    await watch.done;
  }
});

Deno.test("NatsServerProcess[Symbol.asyncDispose]() stops the process, idempotently", async () => {
  await using dir = await tempDir();
  const server = await startServer(dir.path);
  assert.ok(processAlive(server.pid));
  await Promise.all([
    server[Symbol.asyncDispose](),
    server[Symbol.asyncDispose](),
  ]);
  await server[Symbol.asyncDispose]();
  assert.equal(processAlive(server.pid), false);
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

Deno.test("NatsServerProcess.start() without options runs an open server in a temp dir it removes", async () => {
  const server = await NatsServerProcess.start();
  try {
    assert.equal(server.logPath, `${server.dir}/nats-server.log`);
    assert.match(
      await Deno.readTextFile(server.configPath),
      /^listen: "127\.0\.0\.1:\d+"$/m,
    );
    const nc = await connect({ servers: server.url });
    nc.subscribe("open.echo", { callback: (_e, m) => void m.respond(m.data) });
    assert.equal(
      (await nc.request("open.echo", "hi", { timeout: 2000 })).string(),
      "hi",
    );
    await nc.close();
  } finally {
    await server[Symbol.asyncDispose]();
  }
  assert.equal(exists(server.dir), false);
  assert.equal(processAlive(server.pid), false);
});

Deno.test("NatsServerProcess.start() keeps a dir it was given", async () => {
  await using dir = await tempDir();
  const server = await startServer(dir.path);
  assert.equal(server.dir, dir.path);
  await server[Symbol.asyncDispose]();
  assert.ok(exists(`${dir.path}/nats-server.log`));
});

Deno.test("NatsServerProcess.start() removes the temp dir it made when the server fails", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  const error = await NatsServerProcess.start({ port }).catch((e) => e);
  assert.ok(error instanceof NatsServerStartError);
  assert.equal(error.addressInUse, true);
  const logPath = /\(log: "(.+)"\)/.exec(error.message)?.[1];
  assert.ok(logPath, error.message);
  const dir = logPath.slice(0, logPath.lastIndexOf("/"));
  assert.match(dir, /\/fleet-nats-server-[^/]+$/);
  assert.equal(exists(dir), false);
});

Deno.test("NatsServerProcess.start() renders extraConfig into the server's config", async () => {
  await using server = await NatsServerProcess.start({
    config: {
      admin,
      extraConfig: `max_payload: 4096\nserver_tags: [${
        quoteNatsConfigString("extra")
      }]`,
    },
  });
  const nc = await connectAs(server, admin);
  try {
    assert.equal(nc.info?.max_payload, 4096);
  } finally {
    await nc.close();
  }
});

Deno.test("NatsServerProcess.kill() kills at once; a server started on its port takes its clients back", async () => {
  await using server = await NatsServerProcess.start({ config: { admin } });
  const nc = await connect({
    servers: server.url,
    user: admin.user,
    pass: admin.password,
    reconnectTimeWait: 50,
    maxReconnectAttempts: -1,
  });
  const seen: string[] = [];
  const watching = (async () => {
    for await (const status of nc.status()) seen.push(status.type);
  })();
  try {
    const status = await server.kill();
    assert.equal(status.signal, "SIGKILL");
    assert.equal(processAlive(server.pid), false);
    assert.ok(exists(server.dir), "kill() keeps the dir until dispose");
    assert.equal(await server.kill(), status);
    await assert.rejects(
      Deno.connect({ hostname: "127.0.0.1", port: server.port }),
    );
    await waitFor("a disconnect", () => seen.includes("disconnect"));
    await using again = await NatsServerProcess.start({
      config: { admin },
      port: server.port,
    });
    assert.equal(again.url, server.url);
    await waitFor("a reconnect", () => seen.includes("reconnect"));
    nc.subscribe("back", { callback: (_e, m) => void m.respond("yes") });
    assert.equal(
      (await nc.request("back", "", { timeout: 2000 })).string(),
      "yes",
    );
  } finally {
    await nc.close();
    await watching;
  }
});

Deno.test("NatsServerProcess.start() in a dir an earlier server used waits for the new server, not the old log", async () => {
  await using dir = await tempDir();
  for (let run = 1; run <= 3; run++) {
    await using server = await NatsServerProcess.start({ dir: dir.path });
    const nc = await connect({ servers: server.url, reconnect: false });
    await nc.close();
  }
});
