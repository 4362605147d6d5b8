// CommandServer's streamed replies, in-process with test handlers, against
// a real nats-server (the device's user has the permissions of
// contracts/permissions.ts).
import assert from "node:assert/strict";
import {
  decodeCancelReply,
  decodeErrorReply,
  decodeKeepaliveReply,
  decodePingReply,
  deviceCommandSubject,
  type StreamChunk,
} from "../contracts/mod.ts";
import type { CommandContext, StreamHandler } from "./handler.ts";
import { HandlerError } from "./handler.ts";
import {
  aborted,
  DEVICE,
  gate,
  rawStream,
  withServer,
} from "./_test_server.ts";
import { assertPublishDenied, waitFor, watchErrors } from "../testing/mod.ts";

const LOGS = deviceCommandSubject(DEVICE, "logs");
const EXEC = deviceCommandSubject(DEVICE, "exec");
const CANCEL = deviceCommandSubject(DEVICE, "cancel");
const KEEPALIVE = deviceCommandSubject(DEVICE, "keepalive");
const LOGS_BODY = { verb: "logs", container: "web" };
const EXEC_BODY = { verb: "exec", container: "web", cmd: ["true"] };
const KIB = 1024;

function random(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 65536) {
    crypto.getRandomValues(bytes.subarray(i, i + 65536));
  }
  return bytes;
}

/** A handler yielding `chunks`, then returning `result`. */
function yields(
  chunks: StreamChunk[],
  result?: { exitCode?: number },
): StreamHandler {
  return async function* () {
    for (const chunk of chunks) yield chunk;
    return result;
  };
}

/** A handler that yields `first`, then waits for its signal; records its context. */
function waitsForAbort(
  contexts: CommandContext[],
  first?: StreamChunk,
): StreamHandler {
  return async function* (ctx) {
    contexts.push(ctx);
    if (first) yield first;
    await aborted(ctx.signal);
    throw ctx.signal.reason;
  };
}

const out = (text: string): StreamChunk => ({
  stream: "stdout",
  data: new TextEncoder().encode(text),
});

Deno.test("CommandServer() streams a handler's output: 64 KiB messages, seq 1..n+1, request id on each, eof with the exit code", async () => {
  await withServer(async ({ operatorNc, newServer, logs }) => {
    const big = random(200 * KIB);
    const err = random(10);
    await using server = newServer({
      exec: yields([{ stream: "stdout", data: big }, {
        stream: "stderr",
        data: err,
      }], { exitCode: 3 }),
    });
    await server.start();
    const stream = rawStream(operatorNc, EXEC, EXEC_BODY, {
      requestId: "r-1",
      operatorSub: "alice",
    });
    await stream.terminal();
    const { received } = stream;
    assert.deepEqual(received.map((r) => r.msg.data.length), [
      65536,
      65536,
      65536,
      8192,
      10,
      0,
    ]);
    received.forEach((_r, i) => {
      assert.equal(stream.header(i, "X-Harmony-Seq"), String(i + 1));
      assert.equal(stream.header(i, "X-Harmony-Request-Id"), "r-1");
    });
    assert.equal(stream.header(3, "X-Harmony-Stream"), "stdout");
    assert.equal(stream.header(4, "X-Harmony-Stream"), "stderr");
    assert.equal(stream.header(5, "X-Harmony-End"), "eof");
    assert.equal(stream.header(5, "X-Harmony-Exit-Code"), "3");
    assert.deepEqual(stream.data(), new Uint8Array([...big, ...err]));
    const line = await waitFor(
      "the command line",
      () => logs.find((l) => l.event === "command" && l.verb === "exec"),
    );
    assert.equal(line.outcome, "ok");
    assert.equal(line.end, "eof");
    assert.equal(line.exit_code, 3);
    assert.equal(line.bytes, 200 * KIB + 10);
    assert.equal(line.operator_sub, "alice");
    assert.equal(line.request_id, "r-1");
  });
});

Deno.test("CommandServer() makes up a request id for a stream requested without one, and sends it on every message", async () => {
  await withServer(async ({ operatorNc, newServer }) => {
    await using server = newServer({ logs: yields([out("a"), out("b")]) });
    await server.start();
    const stream = rawStream(operatorNc, LOGS, LOGS_BODY);
    await stream.terminal();
    const ids = stream.received.map((r) =>
      r.msg.headers?.get("X-Harmony-Request-Id")
    );
    assert.match(ids[0] ?? "", /^[0-9a-f-]{36}$/);
    assert.ok(ids.every((id) => id === ids[0]));
  });
});

Deno.test("CommandServer() cuts log data at line ends and leaves exec output as it is", async () => {
  await withServer(async ({ operatorNc, newServer }) => {
    const line = "x".repeat(99) + "\n";
    const text = new TextEncoder().encode(line.repeat(1000));
    await using server = newServer({
      logs: yields([{ stream: "stdout", data: text }]),
      exec: yields([{ stream: "stdout", data: text }]),
    });
    await server.start();
    const logs = rawStream(operatorNc, LOGS, LOGS_BODY);
    const exec = rawStream(operatorNc, EXEC, EXEC_BODY);
    await logs.terminal();
    await exec.terminal();
    assert.deepEqual(logs.received.map((r) => r.msg.data.length), [
      65500,
      34500,
      0,
    ]);
    assert.deepEqual(exec.received.map((r) => r.msg.data.length), [
      65536,
      34464,
      0,
    ]);
  });
});

Deno.test("CommandServer() ends a stream limit with the data cut exactly at limit_bytes, and aborts the handler", async () => {
  await withServer(async ({ operatorNc, newServer, logs }) => {
    const contexts: CommandContext[] = [];
    await using server = newServer({
      logs: async function* (ctx) {
        contexts.push(ctx);
        for (let i = 0; i < 10; i++) yield out("0123456789");
        await aborted(ctx.signal);
      },
    });
    await server.start();
    const stream = rawStream(operatorNc, LOGS, {
      ...LOGS_BODY,
      limit_bytes: 25,
    });
    const end = await stream.terminal();
    assert.equal(end.msg.headers?.get("X-Harmony-End"), "limit");
    assert.equal(
      new TextDecoder().decode(stream.data()),
      "0123456789012345678901234",
    );
    assert.equal(contexts[0].signal.aborted, true);
    const line = await waitFor(
      "the command line",
      () => logs.find((l) => l.event === "command"),
    );
    assert.equal(line.end, "limit");
    assert.equal(line.bytes, 25);
  });
});

Deno.test("CommandServer() ends eof, not limit, when the output is exactly limit_bytes long", async () => {
  await withServer(async ({ operatorNc, newServer }) => {
    await using server = newServer({
      logs: yields([out("01234"), out("56789")]),
    });
    await server.start();
    const stream = rawStream(operatorNc, LOGS, {
      ...LOGS_BODY,
      limit_bytes: 10,
    });
    const end = await stream.terminal();
    assert.equal(end.msg.headers?.get("X-Harmony-End"), "eof");
    assert.equal(stream.data().length, 10);
  });
});

Deno.test("CommandServer() ends exec at its default limit of 16 MiB", async () => {
  await withServer(async ({ operatorNc, newServer }) => {
    const mib = new Uint8Array(1024 * KIB).fill(0x79);
    await using server = newServer({
      exec: async function* (ctx) {
        while (!ctx.signal.aborted) yield { stream: "stdout", data: mib };
      },
    });
    await server.start();
    const stream = rawStream(operatorNc, EXEC, EXEC_BODY);
    const end = await stream.terminal();
    assert.equal(end.msg.headers?.get("X-Harmony-End"), "limit");
    assert.equal(end.msg.headers?.get("X-Harmony-Exit-Code"), "");
    assert.equal(stream.data().length, 16 * 1024 * KIB);
  });
});

Deno.test("CommandServer() ends a stream that does not follow at its deadline, and aborts the handler", async () => {
  await withServer(async ({ operatorNc, newServer, logs }) => {
    const contexts: CommandContext[] = [];
    await using server = newServer({
      exec: waitsForAbort(contexts, out("started\n")),
    });
    await server.start();
    const stream = rawStream(operatorNc, EXEC, EXEC_BODY, {
      requestId: "r-deadline",
      deadline: Date.now() + 300,
    });
    const end = await stream.terminal();
    assert.equal(end.msg.headers?.get("X-Harmony-End"), "deadline");
    assert.equal(end.msg.headers?.get("X-Harmony-Exit-Code"), "");
    assert.equal(stream.received.length, 2);
    assert.equal(contexts[0].signal.aborted, true);
    await waitFor("the handler to let go", () => server.inFlight === 0);
    assert.equal(
      logs.filter((l) => l.event === "handler_failed").length,
      0,
      "a handler giving up after the end is not a failure",
    );
  });
});

Deno.test("CommandServer() answers deadline_exceeded, with the stream headers, for a stream whose deadline passed on arrival", async () => {
  await withServer(async ({ operatorNc, newServer }) => {
    let calls = 0;
    await using server = newServer({
      logs: () => {
        calls++;
        return yields([])(undefined as never);
      },
    });
    await server.start();
    const stream = rawStream(operatorNc, LOGS, LOGS_BODY, {
      requestId: "r-late",
      deadline: Date.now() - 1000,
    });
    const error = await stream.terminal();
    assert.equal(error.msg.headers?.get("Nats-Service-Error-Code"), "504");
    assert.equal(error.msg.headers?.get("X-Harmony-Seq"), "1");
    assert.equal(error.msg.headers?.get("X-Harmony-Request-Id"), "r-late");
    assert.equal(calls, 0);
  });
});

Deno.test("CommandServer() keeps a follow stream past its deadline while keepalives come, and ends it abandoned without them", async () => {
  await withServer(async ({ operatorNc, newServer }) => {
    const contexts: CommandContext[] = [];
    await using server = newServer(
      { logs: waitsForAbort(contexts, out("line\n")) },
      { keepaliveTimeoutMs: 1500 },
    );
    await server.start();
    const started = performance.now();
    const stream = rawStream(operatorNc, LOGS, {
      ...LOGS_BODY,
      follow: true,
    }, { requestId: "r-follow", deadline: Date.now() + 200 });
    await waitFor("the first line", () => stream.received.length === 1);
    // Published keepalives (no reply subject) for twice the timeout.
    while (performance.now() - started < 3000) {
      operatorNc.publish(
        KEEPALIVE,
        JSON.stringify({ verb: "keepalive", request_id: "r-follow" }),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(stream.received.length, 1, "still open past its deadline");
    assert.equal(server.openStreams, 1);
    const end = await stream.terminal();
    assert.equal(end.msg.headers?.get("X-Harmony-End"), "abandoned");
    assert.equal(contexts[0].signal.aborted, true);
    assert.equal(server.openStreams, 0);
  });
});

Deno.test("CommandServer() answers a requested keepalive with {request_id, found}", async () => {
  await withServer(async ({ operatorNc, newServer }) => {
    const contexts: CommandContext[] = [];
    await using server = newServer({ logs: waitsForAbort(contexts) });
    await server.start();
    const stream = rawStream(operatorNc, LOGS, {
      ...LOGS_BODY,
      follow: true,
    }, { requestId: "r-ka" });
    await waitFor("the stream to start", () => contexts.length === 1);
    const ask = async (id: string) =>
      decodeKeepaliveReply(
        (await operatorNc.request(
          KEEPALIVE,
          JSON.stringify({ verb: "keepalive", request_id: id }),
          { timeout: 5000 },
        )).data,
      );
    assert.deepEqual(await ask("r-ka"), { request_id: "r-ka", found: true });
    assert.deepEqual(await ask("nope"), { request_id: "nope", found: false });
    await server.drain();
    await stream.terminal();
  });
});

Deno.test("CommandServer() ends a stream cancelled on cancel within 100 ms of the answer, found true; found false for an unknown id", async () => {
  await withServer(async ({ operatorNc, newServer, logs }) => {
    const contexts: CommandContext[] = [];
    await using server = newServer({
      logs: waitsForAbort(contexts, out("first\n")),
    });
    await server.start();
    const stream = rawStream(operatorNc, LOGS, {
      ...LOGS_BODY,
      follow: true,
    }, { requestId: "r-cancel" });
    await waitFor("the first line", () => stream.received.length === 1);
    const reply = await operatorNc.request(
      CANCEL,
      JSON.stringify({ verb: "cancel", request_id: "r-cancel" }),
      { timeout: 5000 },
    );
    const answered = performance.now();
    assert.deepEqual(decodeCancelReply(reply.data), {
      request_id: "r-cancel",
      found: true,
    });
    const end = await stream.terminal();
    assert.equal(end.msg.headers?.get("X-Harmony-End"), "cancelled");
    assert.equal(end.msg.headers?.get("X-Harmony-Seq"), "2");
    // The end is sent before the answer; allow for delivery order.
    assert.ok(end.at - answered <= 100, `${end.at - answered} ms`);
    assert.equal(contexts[0].signal.aborted, true);

    const again = await operatorNc.request(
      CANCEL,
      JSON.stringify({ verb: "cancel", request_id: "r-cancel" }),
      { timeout: 5000 },
    );
    assert.deepEqual(decodeCancelReply(again.data), {
      request_id: "r-cancel",
      found: false,
    });
    const cancelLine = logs.find((l) =>
      l.event === "command" && l.verb === "cancel"
    );
    assert.equal(cancelLine?.outcome, "ok");
  });
});

Deno.test("CommandServer() acts on a published cancel (no reply subject)", async () => {
  await withServer(async ({ operatorNc, newServer }) => {
    const contexts: CommandContext[] = [];
    await using server = newServer({ exec: waitsForAbort(contexts) });
    await server.start();
    const stream = rawStream(operatorNc, EXEC, EXEC_BODY, {
      requestId: "r-pub",
    });
    await waitFor("the stream to start", () => contexts.length === 1);
    operatorNc.publish(
      CANCEL,
      JSON.stringify({ verb: "cancel", request_id: "r-pub" }),
    );
    const end = await stream.terminal();
    assert.equal(end.msg.headers?.get("X-Harmony-End"), "cancelled");
  });
});

Deno.test("CommandServer() refuses a second stream with the request id of an open one", async () => {
  await withServer(async ({ operatorNc, newServer }) => {
    const contexts: CommandContext[] = [];
    await using server = newServer({ exec: waitsForAbort(contexts) });
    await server.start();
    const first = rawStream(operatorNc, EXEC, EXEC_BODY, { requestId: "dup" });
    await waitFor("the stream to start", () => contexts.length === 1);
    const second = rawStream(operatorNc, EXEC, EXEC_BODY, {
      requestId: "dup",
    });
    const error = await second.terminal();
    assert.equal(error.msg.headers?.get("Nats-Service-Error-Code"), "400");
    assert.match(
      decodeErrorReply(error.msg.data).message,
      /request id "dup" already names an open stream/,
    );
    assert.equal(server.openStreams, 1);
    await server.drain();
    await first.terminal();
  });
});

Deno.test("CommandServer() ends a stream whose handler throws with an internal error reply after its data, and keeps serving", async () => {
  await withServer(async ({ operatorNc, newServer, logs }) => {
    await using server = newServer({
      logs: async function* () {
        yield out("partial\n");
        throw new Error("secret detail at /x.ts:1");
      },
      exec: async function* () {
        yield out("x");
        throw new HandlerError("conflict", 'Container "web" is not running');
      },
    });
    await server.start();
    const logsStream = rawStream(operatorNc, LOGS, LOGS_BODY, {
      requestId: "r-boom",
    });
    const error = await logsStream.terminal();
    assert.equal(error.msg.headers?.get("Nats-Service-Error-Code"), "500");
    assert.equal(error.msg.headers?.get("X-Harmony-Seq"), "2");
    assert.equal(error.msg.headers?.get("X-Harmony-Request-Id"), "r-boom");
    const body = decodeErrorReply(error.msg.data);
    assert.equal(body.kind, "internal");
    assert.match(
      body.message,
      /^Cannot run "logs" on device "dev-1": internal error \(Error\); see the agent's log$/,
    );
    assert.equal(new TextDecoder().decode(logsStream.data()), "partial\n");
    assert.ok(logs.some((l) => l.event === "handler_failed"));

    const execStream = rawStream(operatorNc, EXEC, EXEC_BODY);
    const conflict = await execStream.terminal();
    assert.equal(conflict.msg.headers?.get("Nats-Service-Error-Code"), "409");
    assert.deepEqual(decodeErrorReply(conflict.msg.data), {
      kind: "conflict",
      message: 'Container "web" is not running',
    });

    const ping = await operatorNc.request(
      deviceCommandSubject(DEVICE, "ping"),
      "",
      { timeout: 5000 },
    );
    assert.equal(decodePingReply(ping.data).device_id, DEVICE);
  });
});

Deno.test("CommandServer() answers a stream's early HandlerError as its only message, with seq 1", async () => {
  await withServer(async ({ operatorNc, newServer }) => {
    await using server = newServer({
      logs: () => {
        throw new HandlerError("not_found", 'No container "web"');
      },
      exec: () =>
        Promise.reject(new HandlerError("forbidden", "host exec not allowed")),
    });
    await server.start();
    for (
      const [subject, body, code] of [
        [LOGS, LOGS_BODY, "404"],
        [EXEC, EXEC_BODY, "403"],
      ] as const
    ) {
      const stream = rawStream(operatorNc, subject, body, { requestId: "r" });
      const error = await stream.terminal();
      assert.equal(stream.received.length, 1);
      assert.equal(error.msg.headers?.get("Nats-Service-Error-Code"), code);
      assert.equal(error.msg.headers?.get("X-Harmony-Seq"), "1");
    }
  });
});

Deno.test("CommandServer() answers internal when a streaming handler returns no async iterable", async () => {
  await withServer(async ({ operatorNc, newServer }) => {
    await using server = newServer({
      // deno-lint-ignore no-explicit-any
      logs: (() => ({ not: "a stream" })) as any,
    });
    await server.start();
    const stream = rawStream(operatorNc, LOGS, LOGS_BODY);
    const error = await stream.terminal();
    assert.equal(decodeErrorReply(error.msg.data).kind, "internal");
  });
});

Deno.test("CommandServer.drain() ends open streams cancelled, aborts their handlers, and waits for them to let go", async () => {
  await withServer(async ({ operatorNc, newServer }) => {
    const contexts: CommandContext[] = [];
    const release = gate();
    const server = newServer({
      logs: async function* (ctx) {
        contexts.push(ctx);
        yield out("line\n");
        await release.promise;
      },
    });
    await server.start();
    const streams = [1, 2].map((i) =>
      rawStream(operatorNc, LOGS, { ...LOGS_BODY, follow: true }, {
        requestId: `r-${i}`,
      })
    );
    await waitFor("both streams", () => contexts.length === 2);
    let drained = false;
    const draining = server.drain().then(() => (drained = true));
    for (const stream of streams) {
      const end = await stream.terminal();
      assert.equal(end.msg.headers?.get("X-Harmony-End"), "cancelled");
    }
    assert.ok(contexts.every((ctx) => ctx.signal.aborted));
    assert.equal(drained, false, "waits for the handlers to let go");
    release.open();
    await draining;
    assert.equal(server.inFlight, 0);
  });
});

Deno.test("CommandServer() never logs a stream's stdin or env values", async () => {
  await withServer(async ({ operatorNc, newServer, logs }) => {
    await using server = newServer({
      exec: async function* (ctx) {
        ctx.annotate({ container: "web", argv: ctx.request.cmd });
        yield out("ok");
        return { exitCode: 0 };
      },
    });
    await server.start();
    const stream = rawStream(operatorNc, EXEC, {
      ...EXEC_BODY,
      cmd: ["env"],
      env: { TOKEN: "env-value-secret" },
      stdin: btoa("stdin-secret"),
    });
    await stream.terminal();
    const line = await waitFor(
      "the command line",
      () => logs.find((l) => l.event === "command"),
    );
    assert.equal(line.container, "web");
    assert.deepEqual(line.argv, ["env"]);
    const text = JSON.stringify(logs);
    assert.ok(!text.includes("env-value-secret"), text);
    assert.ok(!text.includes(btoa("stdin-secret")), text);
  });
});

Deno.test("CommandServer() keeps another device out: it can neither cancel nor keep alive a stream", async () => {
  await withServer(async ({ operatorNc, otherNc, newServer }) => {
    const contexts: CommandContext[] = [];
    await using server = newServer({ logs: waitsForAbort(contexts) });
    await server.start();
    const stream = rawStream(operatorNc, LOGS, {
      ...LOGS_BODY,
      follow: true,
    }, { requestId: "r-a" });
    await waitFor("the stream to start", () => contexts.length === 1);
    const watch = watchErrors(otherNc);
    await assertPublishDenied(watch, CANCEL);
    await assertPublishDenied(watch, KEEPALIVE);
    assert.equal(server.openStreams, 1);
    assert.equal(contexts[0].signal.aborted, false);
    await server.drain();
    await stream.terminal();
  });
});

Deno.test("CommandServer() drops a stream whose messages NATS refuses (response permission used up), so a keepalive finds none", async () => {
  await withServer(async ({ operatorNc, newServer, logs }) => {
    const contexts: CommandContext[] = [];
    await using server = newServer({
      logs: async function* (ctx) {
        contexts.push(ctx);
        for (let i = 1; i <= 10; i++) yield out(`line ${i}\n`);
        await aborted(ctx.signal);
      },
    }, { streamLingerMs: 0 });
    await server.start();
    const stream = rawStream(operatorNc, LOGS, {
      ...LOGS_BODY,
      follow: true,
    }, { requestId: "r-cut" });
    const lost = await waitFor(
      "stream_lost",
      () => logs.find((l) => l.event === "stream_lost"),
    );
    assert.equal(lost.request_id, "r-cut");
    assert.match(String(lost.message), /refused/);
    assert.equal(server.openStreams, 0);
    assert.equal(contexts[0].signal.aborted, true);
    const reply = await operatorNc.request(
      KEEPALIVE,
      JSON.stringify({ verb: "keepalive", request_id: "r-cut" }),
      { timeout: 5000 },
    );
    assert.equal(decodeKeepaliveReply(reply.data).found, false);
    assert.equal(stream.received.length, 3);
    const line = logs.find((l) => l.event === "command" && l.verb === "logs");
    assert.equal(line?.outcome, "internal");
  }, { deviceResponses: { max: 3, expires: "1h" } });
});
