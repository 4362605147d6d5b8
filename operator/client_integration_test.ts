import assert from "node:assert/strict";
import { headers as natsHeaders } from "@nats-io/nats-core";
import type { Msg, NatsConnection } from "@nats-io/nats-core";
import { connect } from "../nats/mod.ts";
import {
  encodeJson,
  Header,
  InvalidDeviceIdError,
  PayloadError,
  type PingReply,
} from "../contracts/mod.ts";
import { FleetCommandsClient } from "./client.ts";
import { MAX_TIMEOUT_MS } from "./timeout.ts";
import {
  BadReplyError,
  CommandError,
  CommandTimeoutError,
  DeviceOfflineError,
  NatsTransportError,
  RemoteCommandError,
} from "./errors.ts";
import { NatsServerProcess, TEST_ADMIN, waitFor } from "../testing/mod.ts";

/** A nats-server that only {@linkcode TEST_ADMIN} may use. */
const SERVER = { config: { admin: TEST_ADMIN } };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function connectTo(url: string): Promise<NatsConnection> {
  return connect({
    servers: url,
    user: TEST_ADMIN.user,
    pass: TEST_ADMIN.password,
  });
}

function pingReply(deviceId: string): PingReply {
  return {
    device_id: deviceId,
    agent_version: "0.1.0",
    uptime_s: 42,
    runtime: "disabled",
  };
}

/** Subscribes `respond` on `device-commands.<id>.ping` and waits until the server has it. */
async function responder(
  nc: NatsConnection,
  deviceId: string,
  respond: (msg: Msg) => void,
): Promise<void> {
  nc.subscribe(`device-commands.${deviceId}.ping`, {
    callback: (error, msg) => {
      if (!error) respond(msg);
    },
  });
  await nc.flush();
}

Deno.test("FleetCommandsClient.ping() resolves with the agent's PingReply and sends the protocol headers", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using agent = await connectTo(server.url);
  await using nc = await connectTo(server.url);
  const seen: Msg[] = [];
  await responder(agent, "dev-1", (msg) => {
    seen.push(msg);
    msg.respond(encodeJson({ ...pingReply("dev-1"), extra: "ignored" }));
  });
  const client = new FleetCommandsClient(nc, { timeoutMs: 2000 });

  const before = Date.now();
  const reply = await client.ping("dev-1");

  assert.deepEqual(reply, pingReply("dev-1"));
  assert.equal(seen.length, 1);
  const request = seen[0];
  assert.equal(request.subject, "device-commands.dev-1.ping");
  assert.equal(request.data.length, 0);
  assert.match(request.headers!.get(Header.RequestId), UUID);
  const deadline = Number(request.headers!.get(Header.Deadline));
  assert.ok(
    deadline >= before + 2000 && deadline <= Date.now() + 2000,
    `deadline ${deadline} is not now + 2000 ms`,
  );
  assert.equal(request.headers!.get(Header.OperatorSub), TEST_ADMIN.user);
});

Deno.test("FleetCommandsClient.ping() uses a fresh request id for each request and the given operatorSub", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using agent = await connectTo(server.url);
  await using nc = await connectTo(server.url);
  const seen: Msg[] = [];
  await responder(agent, "dev-1", (msg) => {
    seen.push(msg);
    msg.respond(encodeJson(pingReply("dev-1")));
  });
  const client = new FleetCommandsClient(nc, { operatorSub: "alice" });

  await Promise.all([client.ping("dev-1"), client.ping("dev-1")]);

  const ids = seen.map((msg) => msg.headers!.get(Header.RequestId));
  assert.equal(new Set(ids).size, 2);
  for (const msg of seen) {
    assert.equal(msg.headers!.get(Header.OperatorSub), "alice");
  }
});

Deno.test("FleetCommandsClient.ping() rejects with DeviceOfflineError well under 1 s when no agent is connected", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using nc = await connectTo(server.url);
  const client = new FleetCommandsClient(nc, { timeoutMs: 5000 });

  const started = performance.now();
  const error = await client.ping("d-17").catch((e) => e);
  const elapsed = performance.now() - started;

  assert.ok(error instanceof DeviceOfflineError);
  assert.ok(error instanceof CommandError);
  assert.equal(error.name, "DeviceOfflineError");
  assert.equal(error.deviceId, "d-17");
  assert.equal(error.verb, "ping");
  assert.match(error.requestId, UUID);
  assert.equal(
    error.message,
    'Cannot ping device "d-17": no responders (no agent connected for it)',
  );
  assert.ok(error.cause instanceof Error);
  assert.ok(elapsed < 1000, `took ${elapsed} ms`);
});

Deno.test("FleetCommandsClient.ping() rejects with CommandTimeoutError when the agent never answers", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using agent = await connectTo(server.url);
  await using nc = await connectTo(server.url);
  await responder(agent, "slow", () => {});
  const client = new FleetCommandsClient(nc);

  const error = await client.ping("slow", { timeoutMs: 100 }).catch((e) => e);

  assert.ok(error instanceof CommandTimeoutError);
  assert.equal(error.name, "CommandTimeoutError");
  assert.equal(error.deviceId, "slow");
  assert.equal(error.timeoutMs, 100);
  assert.equal(
    error.message,
    'Cannot ping device "slow": no reply within 100 ms',
  );
  assert.ok(error.cause instanceof Error);
});

Deno.test("FleetCommandsClient.ping() rejects with BadReplyError (cause PayloadError) on a reply that is not JSON", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using agent = await connectTo(server.url);
  await using nc = await connectTo(server.url);
  await responder(agent, "garbage", (msg) => msg.respond("pong, honestly"));
  const client = new FleetCommandsClient(nc, { timeoutMs: 2000 });

  const error = await client.ping("garbage").catch((e) => e);

  assert.ok(error instanceof BadReplyError);
  assert.equal(error.name, "BadReplyError");
  assert.equal(error.deviceId, "garbage");
  assert.ok(error.cause instanceof PayloadError);
  assert.match(error.message, /^Cannot ping device "garbage": bad reply: /);
});

Deno.test("FleetCommandsClient.ping() rejects with BadReplyError on a reply of the wrong shape", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using agent = await connectTo(server.url);
  await using nc = await connectTo(server.url);
  await responder(
    agent,
    "shape",
    (msg) => msg.respond(encodeJson({ ...pingReply("shape"), uptime_s: -1 })),
  );
  const client = new FleetCommandsClient(nc, { timeoutMs: 2000 });

  const error = await client.ping("shape").catch((e) => e);

  assert.ok(error instanceof BadReplyError);
  assert.ok(error.cause instanceof PayloadError);
  assert.match(error.cause.message, /uptime_s/);
});

Deno.test("FleetCommandsClient.ping() rejects with BadReplyError when another device answers", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using agent = await connectTo(server.url);
  await using nc = await connectTo(server.url);
  await responder(
    agent,
    "dev-a",
    (msg) => msg.respond(encodeJson(pingReply("dev-b"))),
  );
  const client = new FleetCommandsClient(nc, { timeoutMs: 2000 });

  const error = await client.ping("dev-a").catch((e) => e);

  assert.ok(error instanceof BadReplyError);
  assert.ok(error.cause instanceof PayloadError);
  assert.equal(
    error.cause.message,
    'ping reply field "device_id" is "dev-b", expected "dev-a"',
  );
});

Deno.test("FleetCommandsClient.ping() rejects with RemoteCommandError carrying kind, code and message of an error reply", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using agent = await connectTo(server.url);
  await using nc = await connectTo(server.url);
  await responder(agent, "refuser", (msg) => {
    const headers = natsHeaders();
    headers.set(Header.ServiceErrorCode, "403");
    headers.set(Header.ServiceError, "not today");
    msg.respond(encodeJson({ kind: "forbidden", message: "not today" }), {
      headers,
    });
  });
  const client = new FleetCommandsClient(nc, { timeoutMs: 2000 });

  const error = await client.ping("refuser").catch((e) => e);

  assert.ok(error instanceof RemoteCommandError);
  assert.equal(error.name, "RemoteCommandError");
  assert.equal(error.kind, "forbidden");
  assert.equal(error.code, 403);
  assert.equal(error.remoteMessage, "not today");
  assert.equal(
    error.message,
    'Cannot ping device "refuser": the agent answered forbidden (403): not today',
  );
});

Deno.test("FleetCommandsClient.ping() builds RemoteCommandError from the headers when the error body does not parse", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using agent = await connectTo(server.url);
  await using nc = await connectTo(server.url);
  await responder(agent, "terse", (msg) => {
    const headers = natsHeaders();
    headers.set(Header.ServiceErrorCode, "501");
    headers.set(Header.ServiceError, "no runtime");
    msg.respond("", { headers });
  });
  const client = new FleetCommandsClient(nc, { timeoutMs: 2000 });

  const error = await client.ping("terse").catch((e) => e);

  assert.ok(error instanceof RemoteCommandError);
  assert.equal(error.kind, "unsupported");
  assert.equal(error.code, 501);
  assert.equal(error.remoteMessage, "no runtime");
});

Deno.test("FleetCommandsClient.ping() throws InvalidDeviceIdError and publishes nothing for invalid ids", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using nc = await connectTo(server.url);
  await using watcher = await connectTo(server.url);
  const seen: string[] = [];
  const sub = watcher.subscribe("device-commands.>", {
    callback: (_error, msg) => {
      seen.push(msg.subject);
    },
  });
  await watcher.flush();
  const client = new FleetCommandsClient(nc, { timeoutMs: 200 });

  for (const id of ["", "*", ">", "a.b", "a b", "é", "x".repeat(129)]) {
    const error = await client.ping(id).catch((e) => e);
    assert.ok(
      error instanceof InvalidDeviceIdError,
      `id ${JSON.stringify(id)}`,
    );
    assert.ok(error instanceof TypeError);
    assert.equal(error.deviceId, id);
  }
  // A marker sent after them on the same connection arrives after anything
  // they could have sent, so once it is seen nothing else is in flight.
  nc.publish("device-commands.marker.ping");
  await waitFor("the marker", () => seen.length > 0, {
    timeoutMs: 2000,
    intervalMs: 5,
  });
  await nc.flush();
  await watcher.flush();
  assert.deepEqual(seen, ["device-commands.marker.ping"]);
  sub.unsubscribe();
});

Deno.test("FleetCommandsClient.ping() rejects with NatsTransportError on a closed connection", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  const nc = await connectTo(server.url);
  await nc.close();
  const client = new FleetCommandsClient(nc);

  const error = await client.ping("dev-1").catch((e) => e);

  assert.ok(error instanceof NatsTransportError);
  assert.equal(error.name, "NatsTransportError");
  assert.equal(error.deviceId, "dev-1");
  assert.ok(error.cause instanceof Error);
  assert.match(error.message, /^Cannot ping device "dev-1": .*closed/);
});

Deno.test("FleetCommandsClient.ping() with a signal answers, reports offline and rejects with the abort reason", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using agent = await connectTo(server.url);
  await using nc = await connectTo(server.url);
  await responder(
    agent,
    "fast",
    (msg) => msg.respond(encodeJson(pingReply("fast"))),
  );
  await responder(agent, "slow", () => {});
  const client = new FleetCommandsClient(nc, { timeoutMs: 5000 });
  const controller = new AbortController();

  assert.deepEqual(
    await client.ping("fast", { signal: controller.signal }),
    pingReply("fast"),
  );
  const offline = await client.ping("nobody", { signal: controller.signal })
    .catch((e) => e);
  assert.ok(offline instanceof DeviceOfflineError);
  const timedOut = await client.ping("slow", {
    signal: controller.signal,
    timeoutMs: 50,
  }).catch((e) => e);
  assert.ok(timedOut instanceof CommandTimeoutError);

  const pending = client.ping("slow", { signal: controller.signal });
  const reason = new Error("operator gave up");
  controller.abort(reason);
  await assert.rejects(pending, (error) => error === reason);
  await assert.rejects(
    client.ping("fast", { signal: controller.signal }),
    (error) => error === reason,
  );
});

Deno.test("FleetCommandsClient() rejects a timeout that is not a positive number", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using nc = await connectTo(server.url);
  for (const timeoutMs of [0, -1, Number.NaN, Infinity]) {
    assert.throws(
      () => new FleetCommandsClient(nc, { timeoutMs }),
      RangeError,
    );
  }
  const client = new FleetCommandsClient(nc);
  await assert.rejects(client.ping("dev-1", { timeoutMs: 0 }), RangeError);
});

Deno.test("FleetCommandsClient() rejects a timeout over the maximum with a RangeError naming it, in the constructor and per call", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using nc = await connectTo(server.url);
  for (const timeoutMs of [MAX_TIMEOUT_MS + 1, 2 ** 31, 597 * 3_600_000]) {
    assert.throws(
      () => new FleetCommandsClient(nc, { timeoutMs }),
      (error) => {
        assert.ok(error instanceof RangeError);
        assert.ok(error.message.includes(`timeout ${timeoutMs} ms`));
        assert.ok(error.message.includes(`at most ${MAX_TIMEOUT_MS} ms`));
        return true;
      },
    );
    const client = new FleetCommandsClient(nc);
    await assert.rejects(
      client.ping("dev-1", { timeoutMs }),
      (error) => error instanceof RangeError,
    );
  }
});

Deno.test("FleetCommandsClient.ping() rounds a fractional timeout up and always sends an integer deadline", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  await using agent = await connectTo(server.url);
  await using nc = await connectTo(server.url);
  const deadlines: string[] = [];
  await responder(agent, "dev-1", (msg) => {
    deadlines.push(msg.headers!.get(Header.Deadline));
    msg.respond(encodeJson(pingReply("dev-1")));
  });
  const client = new FleetCommandsClient(nc, { timeoutMs: 1000.5 });
  assert.equal(client.timeoutMs, 1001);

  await client.ping("dev-1");
  await client.ping("dev-1", { timeoutMs: 2500.25 });
  await client.ping("dev-1", {
    timeoutMs: 1234.5,
    signal: AbortSignal.any([]),
  });

  assert.equal(deadlines.length, 3);
  for (const deadline of deadlines) assert.match(deadline, /^\d+$/);
});
