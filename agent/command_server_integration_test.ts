// CommandServer and Heartbeat in-process, against a real nats-server.
import assert from "node:assert/strict";
import type { Msg, NatsConnection } from "@nats-io/nats-core";
import { headers as natsHeaders } from "@nats-io/nats-core";
import { connect } from "../nats/mod.ts";
import {
  decodeErrorReply,
  decodeHeartbeat,
  decodePingReply,
  deviceCommandSubject,
  deviceHeartbeatSubject,
  Header,
  PACKAGE_VERSION,
  Verb,
} from "../contracts/mod.ts";
import { CommandServer, CommandServerError } from "./command_server.ts";
import type { CommandHandlers } from "./handler.ts";
import { HandlerError } from "./handler.ts";
import { Heartbeat } from "./heartbeat.ts";
import { Logger } from "./log.ts";
import { pingReply } from "./verbs/ping.ts";
import { NatsServerProcess, TEST_ADMIN, waitFor } from "../testing/mod.ts";

const DEVICE = "dev-1";
const SUBJECT = deviceCommandSubject(DEVICE, Verb.Ping);

interface Fixture {
  /** The agent side: connected as the device's user. */
  agentNc: NatsConnection;
  /** The operator side: connected as admin. */
  operatorNc: NatsConnection;
  /** JSON log lines written by the server. */
  logs: Record<string, unknown>[];
  logger: Logger;
  newServer(handlers?: CommandHandlers): CommandServer;
}

async function withNats(
  fn: (fixture: Fixture) => Promise<void>,
): Promise<void> {
  // The device's user may only serve its own commands and heartbeat.
  await using nats = await NatsServerProcess.start({
    config: {
      admin: TEST_ADMIN,
      devices: [{
        deviceId: DEVICE,
        user: `device-${DEVICE}`,
        password: "device-pw",
      }],
    },
  });
  const agentNc = await connect({
    servers: nats.url,
    user: `device-${DEVICE}`,
    pass: "device-pw",
  });
  try {
    const operatorNc = await connect({
      servers: nats.url,
      user: TEST_ADMIN.user,
      pass: TEST_ADMIN.password,
    });
    try {
      const logs: Record<string, unknown>[] = [];
      const logger = new Logger({
        write: (line) => logs.push(JSON.parse(line)),
        level: "debug",
      });
      await fn({
        agentNc,
        operatorNc,
        logs,
        logger,
        newServer: (handlers) =>
          new CommandServer(agentNc, {
            deviceId: DEVICE,
            runtime: "disabled",
            handlers,
            logger,
          }),
      });
    } finally {
      await operatorNc.close();
    }
  } finally {
    await agentNc.close();
  }
}

function request(
  nc: NatsConnection,
  options: {
    subject?: string;
    body?: string;
    requestId?: string;
    deadline?: string;
    operatorSub?: string;
    timeout?: number;
  } = {},
): Promise<Msg> {
  const headers = natsHeaders();
  if (options.requestId) headers.set(Header.RequestId, options.requestId);
  if (options.deadline) headers.set(Header.Deadline, options.deadline);
  if (options.operatorSub) headers.set(Header.OperatorSub, options.operatorSub);
  return nc.request(
    options.subject ?? SUBJECT,
    new TextEncoder().encode(options.body ?? ""),
    { timeout: options.timeout ?? 5000, headers },
  );
}

function assertErrorReply(
  msg: Msg,
  kind: string,
  code: number,
  message: RegExp,
): void {
  assert.equal(msg.headers?.get(Header.ServiceErrorCode), String(code));
  const reply = decodeErrorReply(msg.data);
  assert.equal(reply.kind, kind);
  assert.match(reply.message, message);
  assert.equal(msg.headers?.get(Header.ServiceError), reply.message);
}

/** A promise resolved from outside. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

Deno.test("CommandServer() answers ping with a PingReply and echoes the request id", async () => {
  await withNats(async ({ operatorNc, newServer, logs }) => {
    await using server = newServer();
    await server.start();
    const msg = await request(operatorNc, {
      requestId: "req-1",
      operatorSub: "alice",
    });
    assert.equal(msg.headers?.get(Header.RequestId), "req-1");
    assert.equal(msg.headers?.get(Header.ServiceErrorCode), "");
    const reply = decodePingReply(msg.data);
    assert.deepEqual(
      Object.keys(JSON.parse(new TextDecoder().decode(msg.data))),
      [
        "device_id",
        "agent_version",
        "uptime_s",
        "runtime",
      ],
    );
    assert.equal(reply.device_id, DEVICE);
    assert.equal(reply.agent_version, PACKAGE_VERSION);
    assert.equal(reply.runtime, "disabled");
    assert.ok(Number.isInteger(reply.uptime_s));
    const logged = logs.find((line) => line.event === "command");
    assert.equal(logged?.operator_sub, "alice");
    assert.equal(logged?.request_id, "req-1");
    assert.equal(logged?.outcome, "ok");
  });
});

Deno.test("CommandServer() answers an empty ping without headers", async () => {
  await withNats(async ({ operatorNc, newServer }) => {
    await using server = newServer();
    await server.start();
    const msg = await operatorNc.request(SUBJECT, undefined, { timeout: 5000 });
    assert.equal(msg.headers, undefined);
    assert.equal(decodePingReply(msg.data).device_id, DEVICE);
  });
});

Deno.test("CommandServer() answers bad_request for malformed JSON, unknown verb and verb mismatch, then still pings", async () => {
  await withNats(async ({ operatorNc, newServer }) => {
    await using server = newServer();
    await server.start();
    const malformed = await request(operatorNc, {
      body: "{not json",
      requestId: "r-json",
    });
    assertErrorReply(malformed, "bad_request", 400, /is not valid JSON/);
    assert.equal(malformed.headers?.get(Header.RequestId), "r-json");

    const unknown = await request(operatorNc, {
      subject: `device-commands.${DEVICE}.reboot`,
      requestId: "r-verb",
    });
    assertErrorReply(unknown, "bad_request", 400, /Unknown verb "reboot"/);
    assert.equal(unknown.headers?.get(Header.RequestId), "r-verb");

    const mismatch = await request(operatorNc, { body: '{"verb":"logs"}' });
    assertErrorReply(
      mismatch,
      "bad_request",
      400,
      /must match the subject's verb "ping", got "logs"/,
    );

    const badDeadline = await request(operatorNc, { deadline: "tomorrow" });
    assertErrorReply(badDeadline, "bad_request", 400, /X-Harmony-Deadline/);

    const ping = await request(operatorNc);
    assert.equal(decodePingReply(ping.data).device_id, DEVICE);
  });
});

Deno.test("CommandServer() answers internal for a throwing handler and keeps serving", async () => {
  await withNats(async ({ operatorNc, newServer, logs }) => {
    await using server = newServer({
      ping: (ctx) => {
        if (ctx.requestId === "boom") {
          throw new Error("secret detail at /x.ts:1");
        }
        return pingReply({ deviceId: ctx.deviceId, runtime: "disabled" });
      },
    });
    await server.start();
    const failed = await request(operatorNc, { requestId: "boom" });
    assertErrorReply(
      failed,
      "internal",
      500,
      /^Cannot run "ping" on device "dev-1": internal error \(Error\); see the agent's log$/,
    );
    assert.equal(failed.headers?.get(Header.RequestId), "boom");
    assert.doesNotMatch(new TextDecoder().decode(failed.data), /\.ts:\d/);
    const logged = logs.find((line) => line.event === "handler_failed");
    assert.equal(logged?.error, "Error: secret detail at /x.ts:1");

    const ok = await request(operatorNc, { requestId: "fine" });
    assert.equal(decodePingReply(ok.data).device_id, DEVICE);
  });
});

Deno.test("CommandServer() answers a HandlerError with its kind", async () => {
  await withNats(async ({ operatorNc, newServer }) => {
    await using server = newServer({
      ping: () => {
        throw new HandlerError("not_found", 'No container "web"');
      },
    });
    await server.start();
    const msg = await request(operatorNc);
    assertErrorReply(msg, "not_found", 404, /^No container "web"$/);
  });
});

Deno.test("CommandServer() answers unsupported for a verb without a handler", async () => {
  await withNats(async ({ operatorNc, newServer }) => {
    await using server = newServer({ ping: undefined });
    await server.start();
    const msg = await request(operatorNc);
    assertErrorReply(msg, "unsupported", 501, /is not available on device/);
  });
});

Deno.test("CommandServer() skips work whose deadline passed before it arrived", async () => {
  await withNats(async ({ operatorNc, newServer }) => {
    let calls = 0;
    await using server = newServer({
      ping: () => {
        calls++;
        return {};
      },
    });
    await server.start();
    const msg = await request(operatorNc, {
      deadline: String(Date.now() - 1000),
      requestId: "late",
    });
    assertErrorReply(msg, "deadline_exceeded", 504, /passed \d+ ms before/);
    assert.equal(msg.headers?.get(Header.RequestId), "late");
    assert.equal(calls, 0);
  });
});

Deno.test("CommandServer() answers deadline_exceeded when a handler outlives the deadline", async () => {
  await withNats(async ({ operatorNc, newServer }) => {
    const release = gate();
    let aborted = false;
    await using server = newServer({
      ping: async (ctx) => {
        ctx.signal.addEventListener("abort", () => (aborted = true));
        await release.promise;
        return {};
      },
    });
    await server.start();
    const msg = await request(operatorNc, {
      deadline: String(Date.now() + 200),
    });
    assertErrorReply(
      msg,
      "deadline_exceeded",
      504,
      /passed before device "dev-1" finished it/,
    );
    assert.ok(aborted);
    assert.equal(server.inFlight, 1);
    release.open();
    await server.drain();
    assert.equal(server.inFlight, 0);
  });
});

Deno.test("CommandServer() handles requests concurrently", async () => {
  await withNats(async ({ operatorNc, newServer }) => {
    const release = gate();
    await using server = newServer({
      ping: async (ctx) => {
        if (ctx.requestId === "slow") await release.promise;
        return { id: ctx.requestId };
      },
    });
    await server.start();
    const slow = request(operatorNc, { requestId: "slow" });
    await waitFor(
      "the slow request to be in flight",
      () => server.inFlight === 1,
    );
    const fast = await request(operatorNc, { requestId: "fast" });
    assert.deepEqual(JSON.parse(new TextDecoder().decode(fast.data)), {
      id: "fast",
    });
    release.open();
    const slowReply = await slow;
    assert.equal(slowReply.headers?.get(Header.RequestId), "slow");
  });
});

Deno.test("CommandServer.drain() finishes the request in flight, then stops taking new ones", async () => {
  await withNats(async ({ operatorNc, newServer }) => {
    const release = gate();
    const server = newServer({
      ping: async (ctx) => {
        if (ctx.requestId !== "in-flight") return { done: false };
        await release.promise;
        return { done: true };
      },
    });
    await server.start();
    const pending = request(operatorNc, { requestId: "in-flight" });
    await waitFor(
      "the request to be in flight",
      () => server.inFlight === 1,
    );
    let drained = false;
    const draining = server.drain().then(() => (drained = true));
    // The subscription is gone as soon as the drain's flush returns, while
    // the request in flight is still being worked on.
    await waitFor(
      "no responders",
      () =>
        operatorNc.request(SUBJECT, undefined, { timeout: 2000 }).then(
          () => false,
          (error) => error.message.includes("no responders"),
        ),
    );
    assert.equal(drained, false);
    release.open();
    const msg = await pending;
    assert.deepEqual(JSON.parse(new TextDecoder().decode(msg.data)), {
      done: true,
    });
    await draining;
    assert.equal(server.inFlight, 0);
    await server.drain(); // idempotent
    await server[Symbol.asyncDispose]();
    await assert.rejects(server.start(), CommandServerError);
  });
});

Deno.test("CommandServer() logs and drops a message without a reply subject", async () => {
  await withNats(async ({ operatorNc, newServer, logs }) => {
    await using server = newServer();
    await server.start();
    operatorNc.publish(SUBJECT, new TextEncoder().encode("{}"));
    const dropped = await waitFor(
      "command_dropped",
      () => logs.find((line) => line.event === "command_dropped"),
    );
    assert.equal(dropped.subject, SUBJECT);
    assert.equal(
      decodePingReply((await request(operatorNc)).data).device_id,
      DEVICE,
    );
  });
});

Deno.test("CommandServer.start() fails when the subscription is not permitted", async () => {
  await withNats(async ({ agentNc, logger }) => {
    const server = new CommandServer(agentNc, {
      deviceId: "someone-else",
      runtime: "disabled",
      logger,
    });
    const error = await server.start().then(
      () => assert.fail("expected CommandServerError"),
      (error) => error,
    );
    assert.ok(error instanceof CommandServerError);
    assert.equal(error.subject, "device-commands.someone-else.>");
    assert.match(error.message, /Permissions Violation/i);
    await server.drain();
  });
});

Deno.test("Heartbeat() publishes at start and then every interval", async () => {
  await withNats(async ({ agentNc, operatorNc, logger }) => {
    const subscription = operatorNc.subscribe(deviceHeartbeatSubject(DEVICE));
    await operatorNc.flush();
    const beats = (async () => {
      const received = [];
      for await (const msg of subscription) {
        received.push({
          at: performance.now(),
          beat: decodeHeartbeat(msg.data),
        });
        if (received.length === 2) break;
      }
      return received;
    })();
    const started = performance.now();
    {
      await using heartbeat = new Heartbeat(agentNc, {
        deviceId: DEVICE,
        runtime: "disabled",
        intervalS: 0.3,
        logger,
      });
      heartbeat.start();
      const [first, second] = await beats;
      assert.ok(
        first.at - started < 250,
        `first beat after ${first.at - started} ms`,
      );
      assert.ok(second.at - first.at >= 150, "second beat came too early");
      assert.equal(first.beat.device_id, DEVICE);
      assert.equal(first.beat.agent_version, PACKAGE_VERSION);
      assert.equal(first.beat.runtime, "disabled");
      assert.match(first.beat.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
  });
});

Deno.test("CommandServer() sends the bytes a handler returns as the reply body, as they are", async () => {
  await withNats(async ({ operatorNc, newServer }) => {
    const body = new TextEncoder().encode('{"raw":true}');
    await using server = newServer({ ping: () => body });
    await server.start();
    const msg = await request(operatorNc, { requestId: "r-bytes" });
    assert.deepEqual(msg.data, body);
    assert.equal(msg.headers?.get(Header.RequestId), "r-bytes");
  });
});
