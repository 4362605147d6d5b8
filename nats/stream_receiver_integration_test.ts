// StreamReader against a hand-made fake agent on raw NATS: what it does
// with good streams, lost messages, missing ends, error replies, and how it
// cancels and keeps a follow stream alive.
import assert from "node:assert/strict";
import type { Msg, NatsConnection } from "@nats-io/nats-core";
import { headers as natsHeaders } from "@nats-io/nats-core";
import { connect } from "./mod.ts";
import {
  encodeJson,
  PayloadError,
  type StreamChunk,
} from "../contracts/mod.ts";
import { requestStream, type StreamRequestOptions } from "./stream_receiver.ts";
import { StreamReceiveError, StreamRemoteError } from "./stream_errors.ts";
import { NatsServerProcess, waitFor } from "../testing/mod.ts";

const DEVICE = "dev-1";
const SUBJECT = `device-commands.${DEVICE}.logs`;
const text = (s: string) => new TextEncoder().encode(s);

interface FakeAgent {
  /** Requests received on the verb subject. */
  requests: Msg[];
  /** Bodies of `cancel` and `keepalive` received. */
  controls: { verb: string; request_id: string }[];
  /** What `keepalive` answers; `undefined`: no answer. */
  keepaliveFound?: boolean;
}

type Script = (msg: Msg, send: Sender) => void;
type Sender = (
  headers: Record<string, string>,
  data?: Uint8Array | string,
) => void;

interface Fixture {
  client: NatsConnection;
  agent: FakeAgent;
  /** Starts the fake agent: `script` answers each verb request. */
  serve(script: Script): Promise<void>;
  read(options?: Partial<StreamRequestOptions>): {
    chunks: StreamChunk[];
    done: Promise<unknown>;
    reader: ReturnType<typeof requestStream>;
  };
}

async function withFake(fn: (f: Fixture) => Promise<void>): Promise<void> {
  await using nats = await NatsServerProcess.start({});
  const client = await connect({ servers: nats.url });
  const agentNc = await connect({ servers: nats.url });
  const agent: FakeAgent = { requests: [], controls: [], keepaliveFound: true };
  try {
    await fn({
      client,
      agent,
      async serve(script) {
        agentNc.subscribe(`device-commands.${DEVICE}.>`, {
          callback: (_error, msg) => {
            const verb = msg.subject.split(".").at(-1)!;
            if (verb === "cancel" || verb === "keepalive") {
              const body = JSON.parse(msg.string());
              agent.controls.push(body);
              const found = verb === "cancel" ? true : agent.keepaliveFound;
              if (found !== undefined) {
                msg.respond(encodeJson({ request_id: body.request_id, found }));
              }
              return;
            }
            agent.requests.push(msg);
            script(msg, (headers, data) => {
              const h = natsHeaders();
              for (const [k, v] of Object.entries(headers)) h.set(k, v);
              msg.respond(
                typeof data === "string"
                  ? text(data)
                  : data ?? new Uint8Array(),
                { headers: h },
              );
            });
          },
        });
        await agentNc.flush();
      },
      read(options = {}) {
        const reader = requestStream(client, SUBJECT, text('{"verb":"logs"}'), {
          deviceId: DEVICE,
          requestId: "req-1",
          deadline: Date.now() + 5000,
          ...options,
        });
        const chunks: StreamChunk[] = [];
        const done = (async () => {
          for await (const chunk of reader) chunks.push(chunk);
          return reader.end;
        })().catch((error) => error);
        return { chunks, done, reader };
      },
    });
  } finally {
    await Promise.all([client.close(), agentNc.close()]);
  }
}

const data = (seq: number, stream = "stdout") => ({
  "X-Harmony-Request-Id": "req-1",
  "X-Harmony-Seq": String(seq),
  "X-Harmony-Stream": stream,
});
const end = (seq: number, reason = "eof", exitCode?: number) => ({
  "X-Harmony-Request-Id": "req-1",
  "X-Harmony-Seq": String(seq),
  "X-Harmony-End": reason,
  ...(exitCode === undefined
    ? {}
    : { "X-Harmony-Exit-Code": String(exitCode) }),
});

function assertReceiveError(
  error: unknown,
  failure: string,
  message: RegExp,
): StreamReceiveError {
  assert.ok(error instanceof StreamReceiveError, String(error));
  assert.equal(error.name, "StreamReceiveError");
  assert.equal(error.failure, failure);
  assert.equal(error.subject, SUBJECT);
  assert.equal(error.requestId, "req-1");
  assert.match(error.message, message);
  return error;
}

Deno.test("requestStream() yields the data chunks in order and ends with the end message's reason and exit code", async () => {
  await withFake(async ({ serve, read, agent }) => {
    await serve((_msg, send) => {
      send(data(1), "out\n");
      send(data(2, "stderr"), new Uint8Array([0, 255]));
      send(end(3, "eof", 7));
    });
    const { chunks, done, reader } = read({
      headers: (() => {
        const h = natsHeaders();
        h.set("X-Harmony-Operator-Sub", "alice");
        return h;
      })(),
    });
    assert.deepEqual(await done, { reason: "eof", exitCode: 7 });
    assert.deepEqual(chunks, [
      { stream: "stdout", data: text("out\n") },
      { stream: "stderr", data: new Uint8Array([0, 255]) },
    ]);
    assert.equal(reader.bytesReceived, 6);
    const request = agent.requests[0];
    assert.equal(request.headers?.get("X-Harmony-Request-Id"), "req-1");
    assert.equal(request.headers?.get("X-Harmony-Operator-Sub"), "alice");
    assert.equal(request.string(), '{"verb":"logs"}');
    assert.deepEqual(agent.controls, [], "no cancel after a normal end");
  });
});

Deno.test("requestStream() raises a gap when an X-Harmony-Seq is skipped, and cancels the stream", async () => {
  await withFake(async ({ serve, read, agent }) => {
    await serve((_msg, send) => {
      send(data(1), "a");
      send(data(3), "c");
      send(end(4));
    });
    const { chunks, done } = read();
    const error = assertReceiveError(
      await done,
      "gap",
      /a message was lost \(expected X-Harmony-Seq 2, got 3\)/,
    );
    assert.equal(error.expectedSeq, 2);
    assert.equal(error.receivedSeq, 3);
    assert.equal(chunks.length, 1);
    assert.deepEqual(agent.controls, [{ verb: "cancel", request_id: "req-1" }]);
  });
});

Deno.test("requestStream() raises no_end when a stream stops without its end by the deadline", async () => {
  await withFake(async ({ serve, read }) => {
    await serve((_msg, send) => send(data(1), "only"));
    const { chunks, done } = read({
      deadline: Date.now() + 300,
      graceMs: 100,
    });
    assertReceiveError(
      await done,
      "no_end",
      /stopped without its end message \(none by the deadline plus 100 ms\)/,
    );
    assert.equal(chunks.length, 1);
  });
});

Deno.test("requestStream() raises timeout when nothing comes by the deadline", async () => {
  await withFake(async ({ serve, read }) => {
    await serve(() => {});
    const { done } = read({ deadline: Date.now() + 200, graceMs: 50 });
    assertReceiveError(
      await done,
      "timeout",
      /nothing came before the deadline/,
    );
  });
});

Deno.test("requestStream() raises no_responders at once when nobody serves the device", async () => {
  await withFake(async ({ read, agent }) => {
    const { done } = read({ deadline: Date.now() + 60_000 });
    assertReceiveError(await done, "no_responders", /no responders$/);
    assert.deepEqual(agent.controls, []);
  });
});

Deno.test("requestStream() turns an error reply into StreamRemoteError, after data or instead of it", async () => {
  await withFake(async ({ serve, read, agent }) => {
    await serve((_msg, send) => {
      send(data(1), "partial");
      send({
        "X-Harmony-Request-Id": "req-1",
        "X-Harmony-Seq": "2",
        "Nats-Service-Error-Code": "500",
        "Nats-Service-Error": "boom",
      }, encodeJson({ kind: "internal", message: "boom" }));
    });
    const { chunks, done } = read();
    const error = await done;
    assert.ok(error instanceof StreamRemoteError);
    assert.equal(error.kind, "internal");
    assert.equal(error.code, 500);
    assert.equal(error.remoteMessage, "boom");
    assert.equal(chunks.length, 1);
    assert.deepEqual(agent.controls, []);
  });
});

Deno.test("requestStream() refuses a malformed message with PayloadError, and cancels", async () => {
  await withFake(async ({ serve, read, agent }) => {
    await serve((_msg, send) =>
      send({ "X-Harmony-Seq": "1" }, "no stream header")
    );
    const { done } = read();
    const error = await done;
    assert.ok(error instanceof PayloadError);
    assert.match(
      error.message,
      /"X-Harmony-Stream" must be "stdout" or "stderr"/,
    );
    assert.equal(agent.controls[0]?.verb, "cancel");
  });
});

Deno.test("StreamReader sends cancel when the consumer breaks out", async () => {
  await withFake(async ({ client, serve, agent }) => {
    await serve((_msg, send) => {
      for (let i = 1; i <= 5; i++) send(data(i), `line ${i}\n`);
    });
    const reader = requestStream(client, SUBJECT, new Uint8Array(), {
      deviceId: DEVICE,
      requestId: "req-1",
      follow: true,
    });
    let seen = 0;
    for await (const _chunk of reader) {
      if (++seen === 2) break;
    }
    // The break waited for the cancel's answer.
    assert.deepEqual(agent.controls, [{ verb: "cancel", request_id: "req-1" }]);
    assert.equal(reader.end, undefined);
    assert.throws(() => reader[Symbol.asyncIterator](), TypeError);
  });
});

Deno.test("StreamReader sends cancel at once when its signal aborts, and throws the reason", async () => {
  await withFake(async ({ serve, read, agent }) => {
    await serve((_msg, send) => send(data(1), "waiting\n"));
    const controller = new AbortController();
    const { chunks, done } = read({ follow: true, signal: controller.signal });
    await waitFor("the first chunk", () => chunks.length === 1);
    controller.abort(new Error("stop now"));
    const error = await done;
    assert.ok(error instanceof Error);
    assert.equal(error.message, "stop now");
    await waitFor("the cancel", () => agent.controls.length === 1);
    assert.deepEqual(agent.controls, [{ verb: "cancel", request_id: "req-1" }]);
  });
});

Deno.test("StreamReader.cancel() asks the agent to end the stream; the iteration ends with its end", async () => {
  await withFake(async ({ serve, read, agent }) => {
    let respond: ((seq: number) => void) | undefined;
    await serve((_msg, send) => {
      send(data(1), "x");
      respond = (seq) => send(end(seq, "cancelled"));
    });
    const { done, reader, chunks } = read({ follow: true });
    await waitFor("the first chunk", () => chunks.length === 1);
    assert.equal(await reader.cancel(), true);
    respond!(2);
    assert.deepEqual(await done, { reason: "cancelled" });
    assert.equal(agent.controls.length, 1);
  });
});

Deno.test("StreamReader keeps a follow stream alive, and raises lost when a keepalive finds no stream", async () => {
  await withFake(async ({ serve, read, agent }) => {
    await serve((_msg, send) => send(data(1), "a\n"));
    const { done } = read({ follow: true, keepaliveIntervalMs: 50 });
    await waitFor("three keepalives", () => agent.controls.length >= 3);
    assert.deepEqual(agent.controls[0], {
      verb: "keepalive",
      request_id: "req-1",
    });
    agent.keepaliveFound = false;
    assertReceiveError(
      await done,
      "lost",
      /the agent lost the stream: the agent has no such stream \(keepalive: found false\)/,
    );
    assert.ok(
      agent.controls.every((c) => c.verb === "keepalive"),
      "no cancel for a lost stream",
    );
  });
});

Deno.test("StreamReader raises lost when a keepalive gets no answer", async () => {
  await withFake(async ({ serve, read, agent }) => {
    await serve(() => {});
    agent.keepaliveFound = undefined;
    const { done } = read({
      follow: true,
      keepaliveIntervalMs: 50,
      controlTimeoutMs: 200,
    });
    assertReceiveError(
      await done,
      "lost",
      /its keepalive got no answer within 200 ms/,
    );
  });
});

Deno.test("StreamReader raises lost when nobody answers the keepalive (agent gone)", async () => {
  await withFake(async ({ client, read }) => {
    // The "agent" answers the request, then is gone.
    const sub = client.subscribe(SUBJECT, { max: 1 });
    const { done } = read({ follow: true, keepaliveIntervalMs: 50 });
    for await (const _msg of sub) break;
    assertReceiveError(
      await done,
      "lost",
      /no agent answers for the device \(keepalive: no responders\)/,
    );
  });
});

Deno.test("StreamReader raises closed when the connection closes mid-stream", async () => {
  await withFake(async ({ client, serve, read }) => {
    await serve((_msg, send) => send(data(1), "a"));
    const { done, chunks } = read({ follow: true });
    await waitFor("the first chunk", () => chunks.length === 1);
    await client.close();
    assertReceiveError(
      await done,
      "closed",
      /the connection closed before the stream's end/,
    );
  });
});
