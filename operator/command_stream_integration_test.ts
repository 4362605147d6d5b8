// openCommandStream() / CommandStream against a hand-made fake agent on raw
// NATS: the request it sends, and each way a stream can end mapped to the
// client's errors.
import assert from "node:assert/strict";
import type { Msg, NatsConnection } from "@nats-io/nats-core";
import { headers as natsHeaders } from "@nats-io/nats-core";
import { connect } from "../nats/mod.ts";
import {
  encodeJson,
  InvalidDeviceIdError,
  PayloadError,
  type StreamChunk,
} from "../contracts/mod.ts";
import {
  type CommandStreamOptions,
  openCommandStream,
  type StreamCommand,
} from "./command_stream.ts";
import {
  BadReplyError,
  CommandError,
  CommandTimeoutError,
  DeviceOfflineError,
  RemoteCommandError,
  StreamEndedEarlyError,
  StreamInterruptedError,
} from "./errors.ts";
import { NatsServerProcess, TEST_ADMIN, waitFor } from "../testing/mod.ts";

const DEVICE = "dev-1";
const LOGS: StreamCommand<"logs"> = {
  deviceId: DEVICE,
  verb: "logs",
  request: { verb: "logs", container: "web" },
};
const text = (s: string) => new TextEncoder().encode(s);

type Send = (headers: Record<string, string>, data?: string) => void;

interface Fixture {
  nc: NatsConnection;
  requests: Msg[];
  controls: { verb: string; request_id: string }[];
  serve(script: (msg: Msg, send: Send) => void): Promise<void>;
  run(
    command?: StreamCommand,
    options?: Partial<CommandStreamOptions>,
  ): { chunks: StreamChunk[]; done: Promise<unknown> };
}

async function withFake(fn: (f: Fixture) => Promise<void>): Promise<void> {
  await using nats = await NatsServerProcess.start({
    config: { admin: TEST_ADMIN },
  });
  const as = () =>
    connect({
      servers: nats.url,
      user: TEST_ADMIN.user,
      pass: TEST_ADMIN.password,
    });
  const nc = await as();
  const agentNc = await as();
  const requests: Msg[] = [];
  const controls: { verb: string; request_id: string }[] = [];
  try {
    await fn({
      nc,
      requests,
      controls,
      async serve(script) {
        agentNc.subscribe(`device-commands.${DEVICE}.>`, {
          callback: (_error, msg) => {
            const verb = msg.subject.split(".").at(-1)!;
            if (verb === "cancel" || verb === "keepalive") {
              const body = JSON.parse(msg.string());
              controls.push(body);
              msg.respond(
                encodeJson({ request_id: body.request_id, found: false }),
              );
              return;
            }
            requests.push(msg);
            const id = msg.headers?.get("X-Harmony-Request-Id") ?? "";
            script(msg, (headers, data) => {
              const h = natsHeaders();
              h.set("X-Harmony-Request-Id", id);
              for (const [k, v] of Object.entries(headers)) h.set(k, v);
              msg.respond(text(data ?? ""), { headers: h });
            });
          },
        });
        await agentNc.flush();
      },
      run(command = LOGS, options = {}) {
        const stream = openCommandStream(nc, command, {
          timeoutMs: 5000,
          ...options,
        });
        const chunks: StreamChunk[] = [];
        const done = (async () => {
          for await (const chunk of stream) chunks.push(chunk);
          return stream.end;
        })().catch((error) => error);
        return { chunks, done };
      },
    });
  } finally {
    await Promise.all([nc.close(), agentNc.close()]);
  }
}

function assertCommandError<T extends CommandError>(
  error: unknown,
  type: new (...args: never[]) => T,
): T {
  assert.ok(error instanceof type, String(error));
  assert.ok(error instanceof CommandError);
  assert.equal(error.deviceId, DEVICE);
  assert.equal(error.verb, "logs");
  return error;
}

Deno.test("openCommandStream() sends the request with the protocol headers and yields the chunks to the end", async () => {
  await withFake(async ({ serve, run, requests }) => {
    await serve((_msg, send) => {
      send({ "X-Harmony-Seq": "1", "X-Harmony-Stream": "stdout" }, "hi\n");
      send({ "X-Harmony-Seq": "2", "X-Harmony-End": "eof" });
    });
    const before = Date.now();
    const { chunks, done } = run(LOGS, { operatorSub: "alice" });
    assert.deepEqual(await done, { reason: "eof" });
    assert.deepEqual(chunks, [{ stream: "stdout", data: text("hi\n") }]);
    const [request] = requests;
    assert.equal(request.subject, "device-commands.dev-1.logs");
    assert.deepEqual(JSON.parse(request.string()), {
      verb: "logs",
      container: "web",
    });
    assert.match(
      request.headers?.get("X-Harmony-Request-Id") ?? "",
      /^[0-9a-f-]{36}$/,
    );
    assert.equal(request.headers?.get("X-Harmony-Operator-Sub"), "alice");
    const deadline = Number(request.headers?.get("X-Harmony-Deadline"));
    assert.ok(deadline >= before + 5000 && deadline <= Date.now() + 5000);
  });
});

Deno.test("openCommandStream() checks the device id and the request before sending anything", async () => {
  await withFake(async ({ nc, requests }) => {
    assert.throws(
      () =>
        openCommandStream(nc, { ...LOGS, deviceId: "a.b" }, { timeoutMs: 1 }),
      InvalidDeviceIdError,
    );
    assert.throws(
      () =>
        openCommandStream(nc, {
          deviceId: DEVICE,
          verb: "exec",
          request: { verb: "exec", container: "web", cmd: [] },
        }, { timeoutMs: 1000 }),
      (error: unknown) => {
        assert.ok(error instanceof TypeError);
        assert.ok(error.cause instanceof PayloadError);
        assert.match(
          error.message,
          /^Cannot exec device "dev-1": "exec" request field "cmd" must not be empty/,
        );
        return true;
      },
    );
    assert.throws(
      () => openCommandStream(nc, LOGS, { timeoutMs: 0 }),
      RangeError,
    );
    await nc.flush();
    assert.equal(requests.length, 0);
  });
});

Deno.test("CommandStream maps no responders to DeviceOfflineError and silence to CommandTimeoutError", async () => {
  await withFake(async ({ run, serve }) => {
    assertCommandError(await run().done, DeviceOfflineError);
    await serve(() => {});
    const timeout = assertCommandError(
      await run(LOGS, { timeoutMs: 200, graceMs: 50 }).done,
      CommandTimeoutError,
    );
    assert.equal(timeout.timeoutMs, 200);
  });
});

Deno.test("CommandStream maps an error reply to RemoteCommandError", async () => {
  await withFake(async ({ run, serve }) => {
    await serve((_msg, send) =>
      send({
        "X-Harmony-Seq": "1",
        "Nats-Service-Error-Code": "404",
        "Nats-Service-Error": 'No container "web"',
      }, JSON.stringify({ kind: "not_found", message: 'No container "web"' }))
    );
    const error = assertCommandError(await run().done, RemoteCommandError);
    assert.equal(error.kind, "not_found");
    assert.equal(error.code, 404);
    assert.equal(error.remoteMessage, 'No container "web"');
  });
});

Deno.test("CommandStream maps a lost message to StreamInterruptedError (gap) and a missing end to StreamInterruptedError (no_end)", async () => {
  await withFake(async ({ run, serve, controls }) => {
    await serve((msg, send) => {
      send({ "X-Harmony-Seq": "1", "X-Harmony-Stream": "stdout" }, "a");
      if (JSON.parse(msg.string()).container === "gap") {
        send({ "X-Harmony-Seq": "3", "X-Harmony-Stream": "stdout" }, "c");
      }
    });
    const gap = assertCommandError(
      await run({ ...LOGS, request: { verb: "logs", container: "gap" } })
        .done,
      StreamInterruptedError,
    );
    assert.equal(gap.reason, "gap");
    assert.equal(gap.expectedSeq, 2);
    assert.equal(gap.receivedSeq, 3);
    assert.match(
      gap.message,
      /^Cannot logs device "dev-1": the stream was interrupted: a message was lost \(expected X-Harmony-Seq 2, got 3\)$/,
    );
    await waitFor("the cancel", () => controls.length === 1);
    const noEnd = assertCommandError(
      await run(LOGS, { timeoutMs: 200, graceMs: 50 }).done,
      StreamInterruptedError,
    );
    assert.equal(noEnd.reason, "no_end");
  });
});

Deno.test("CommandStream maps a follow stream the agent lost to StreamInterruptedError (lost)", async () => {
  await withFake(async ({ run, serve }) => {
    await serve((_msg, send) =>
      send({ "X-Harmony-Seq": "1", "X-Harmony-Stream": "stdout" }, "a")
    );
    const { done, chunks } = run({
      ...LOGS,
      request: { verb: "logs", container: "web", follow: true },
    }, { keepaliveIntervalMs: 50, timeoutMs: 100 });
    const error = assertCommandError(await done, StreamInterruptedError);
    assert.equal(error.reason, "lost");
    assert.match(error.message, /keepalive: found false/);
    assert.equal(chunks.length, 1, "a follow stream outlives its deadline");
  });
});

Deno.test("CommandStream maps a malformed message to BadReplyError", async () => {
  await withFake(async ({ run, serve }) => {
    await serve((_msg, send) => send({ "X-Harmony-Stream": "stdout" }, "a"));
    const error = assertCommandError(await run().done, BadReplyError);
    assert.match(error.cause.message, /no "X-Harmony-Seq" header/);
  });
});

Deno.test("CommandStream rethrows its signal's reason when aborted, having sent cancel", async () => {
  await withFake(async ({ run, serve, controls }) => {
    await serve((_msg, send) =>
      send({ "X-Harmony-Seq": "1", "X-Harmony-Stream": "stdout" }, "a")
    );
    const controller = new AbortController();
    const { done, chunks } = run({
      ...LOGS,
      request: { verb: "logs", container: "web", follow: true },
    }, { signal: controller.signal });
    await waitFor("the first chunk", () => chunks.length === 1);
    const reason = new DOMException("stopped", "AbortError");
    controller.abort(reason);
    assert.equal(await done, reason);
    await waitFor("the cancel", () => controls.length === 1);
    assert.equal(controls[0].verb, "cancel");
  });
});

Deno.test("CommandStream throws StreamEndedEarlyError for a deadline, cancelled or abandoned end it did not ask for, with its end set", async () => {
  await withFake(async ({ nc, serve }) => {
    await serve((msg, send) => {
      send({ "X-Harmony-Seq": "1", "X-Harmony-Stream": "stdout" }, "a");
      send({
        "X-Harmony-Seq": "2",
        "X-Harmony-End": JSON.parse(msg.string()).container,
      });
    });
    for (const reason of ["deadline", "cancelled", "abandoned"] as const) {
      const stream = openCommandStream(nc, {
        ...LOGS,
        request: { verb: "logs", container: reason },
      }, { timeoutMs: 1500 });
      const chunks: StreamChunk[] = [];
      const error = await (async () => {
        for await (const chunk of stream) chunks.push(chunk);
      })().catch((e) => e);
      const early = assertCommandError(error, StreamEndedEarlyError);
      assert.equal(early.reason, reason);
      assert.equal(early.timeoutMs, 1500);
      assert.equal(early.requestId, stream.requestId);
      assert.equal(early.output, undefined);
      assert.match(
        early.message,
        new RegExp(
          `^Cannot logs device "dev-1": the agent ended the stream "${reason}" before it was done: `,
        ),
      );
      assert.deepEqual(stream.end, { reason });
      assert.equal(chunks.length, 1);
    }
  });
});

Deno.test("CommandStream ends normally on the cancelled end its own cancel() asked for", async () => {
  await withFake(async ({ nc, serve, controls }) => {
    let sendEnd = () => {};
    await serve((_msg, send) => {
      send({ "X-Harmony-Seq": "1", "X-Harmony-Stream": "stdout" }, "a");
      sendEnd = () =>
        send({ "X-Harmony-Seq": "2", "X-Harmony-End": "cancelled" });
    });
    const stream = openCommandStream(nc, {
      ...LOGS,
      request: { verb: "logs", container: "web", follow: true },
    }, { timeoutMs: 5000 });
    const seen: StreamChunk[] = [];
    for await (const chunk of stream) {
      seen.push(chunk);
      await stream.cancel();
      assert.equal(controls.at(-1)?.verb, "cancel");
      sendEnd();
    }
    assert.deepEqual(stream.end, { reason: "cancelled" });
    assert.equal(seen.length, 1);
  });
});

Deno.test("CommandStream maps an exec end eof without an exit code to BadReplyError, and passes one with it", async () => {
  await withFake(async ({ run, serve }) => {
    await serve((msg, send) => {
      const code = JSON.parse(msg.string()).cmd[0];
      send(
        code === "none" ? { "X-Harmony-Seq": "1", "X-Harmony-End": "eof" } : {
          "X-Harmony-Seq": "1",
          "X-Harmony-End": "eof",
          "X-Harmony-Exit-Code": code,
        },
      );
    });
    const exec = (cmd: string): StreamCommand<"exec"> => ({
      deviceId: DEVICE,
      verb: "exec",
      request: { verb: "exec", container: "web", cmd: [cmd] },
    });
    const error = await run(exec("none")).done;
    assert.ok(error instanceof BadReplyError, String(error));
    assert.equal(error.verb, "exec");
    assert.match(error.message, /ended "eof" without "X-Harmony-Exit-Code"/);
    assert.deepEqual(await run(exec("3")).done, { reason: "eof", exitCode: 3 });
  });
});
