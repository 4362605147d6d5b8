// StreamSender against a real nats-server: what a receiver gets.
import assert from "node:assert/strict";
import type { Msg, NatsConnection } from "@nats-io/nats-core";
import { connect } from "./mod.ts";
import { decodeErrorReply } from "../contracts/mod.ts";
import { StreamEndedError, StreamSender } from "./stream_sender.ts";
import { NatsServerProcess, waitFor } from "../testing/mod.ts";

const REPLY = "_INBOX.sender-test";
const KIB = 1024;

interface Fixture {
  nc: NatsConnection;
  received: Msg[];
  /** Waits for the terminal message (X-Harmony-End or an error code). */
  terminal(): Promise<Msg>;
}

async function withReceiver(fn: (f: Fixture) => Promise<void>): Promise<void> {
  await using nats = await NatsServerProcess.start({});
  const nc = await connect({ servers: nats.url });
  const rx = await connect({ servers: nats.url });
  try {
    const received: Msg[] = [];
    rx.subscribe(REPLY, {
      callback: (_error, msg) => {
        received.push(msg);
      },
    });
    await rx.flush();
    await fn({
      nc,
      received,
      terminal: () =>
        waitFor(
          "the terminal message",
          () =>
            received.find((msg) =>
              msg.headers?.get("X-Harmony-End") ||
              msg.headers?.get("Nats-Service-Error-Code")
            ),
        ),
    });
  } finally {
    await Promise.all([nc.close(), rx.close()]);
  }
}

function random(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i += 65536) {
    crypto.getRandomValues(bytes.subarray(i, i + 65536));
  }
  return bytes;
}

function join(messages: Msg[]): Uint8Array {
  const out = new Uint8Array(
    messages.reduce((n, msg) => n + msg.data.length, 0),
  );
  let offset = 0;
  for (const msg of messages) {
    out.set(msg.data, offset);
    offset += msg.data.length;
  }
  return out;
}

const seqs = (messages: Msg[]) =>
  messages.map((msg) => Number(msg.headers?.get("X-Harmony-Seq")));
const dataOf = (messages: Msg[]) =>
  messages.filter((msg) => msg.headers?.get("X-Harmony-Stream"));

Deno.test("StreamSender.write() sends a 200 KiB chunk as 4 messages of at most 64 KiB, seq 1..5 with the end", async () => {
  await withReceiver(async ({ nc, received, terminal }) => {
    const sender = new StreamSender(nc, REPLY, { requestId: "r-200" });
    const data = random(200 * KIB);
    await sender.write("stdout", data);
    sender.end("eof");
    await terminal();
    assert.deepEqual(received.map((msg) => msg.data.length), [
      65536,
      65536,
      65536,
      8192,
      0,
    ]);
    assert.deepEqual(seqs(received), [1, 2, 3, 4, 5]);
    for (const msg of received) {
      assert.equal(msg.headers?.get("X-Harmony-Request-Id"), "r-200");
    }
    assert.deepEqual(
      dataOf(received).map((msg) => msg.headers?.get("X-Harmony-Stream")),
      ["stdout", "stdout", "stdout", "stdout"],
    );
    const end = received[4];
    assert.equal(end.headers?.get("X-Harmony-End"), "eof");
    assert.equal(end.headers?.get("X-Harmony-Exit-Code"), "");
    assert.deepEqual(join(dataOf(received)), data);
    assert.equal(sender.seq, 5);
    assert.equal(sender.bytesSent, 200 * KIB);
    assert.equal(sender.ended, true);
  });
});

Deno.test("StreamSender is binary-safe: every byte value, random data, no UTF-8 or JSON anywhere", async () => {
  await withReceiver(async ({ nc, received, terminal }) => {
    const sender = new StreamSender(nc, REPLY, { requestId: "r-bin" });
    const every = new Uint8Array(256).map((_, i) => i);
    const noise = random(100 * KIB);
    sender.write("stderr", every);
    await sender.write("stderr", noise);
    sender.end("eof", { exitCode: 0 });
    await terminal();
    const expected = new Uint8Array([...every, ...noise]);
    assert.deepEqual(join(dataOf(received)), expected);
    assert.equal(received.at(-1)?.headers?.get("X-Harmony-Exit-Code"), "0");
  });
});

Deno.test("StreamSender({ lines: true }) cuts at line ends, and a line over 64 KiB at 64 KiB", async () => {
  await withReceiver(async ({ nc, received, terminal }) => {
    const sender = new StreamSender(nc, REPLY, {
      requestId: "r-lines",
      lines: true,
    });
    const line = (n: number, i: number) =>
      `${String(i).padStart(6, "0")} ${"x".repeat(n - 8)}\n`;
    let text = "";
    for (let i = 0; i < 3000; i++) text += line(97, i);
    const long = "y".repeat(70 * KIB) + "\n";
    const bytes = new TextEncoder().encode(text + long + "tail without end");
    // Written in pieces that do not respect line ends.
    for (let i = 0; i < bytes.length; i += 5000) {
      await sender.write("stdout", bytes.subarray(i, i + 5000));
    }
    sender.end("eof");
    await terminal();
    const data = dataOf(received);
    assert.deepEqual(join(data), bytes);
    for (const msg of data) assert.ok(msg.data.length <= 65536);
    const texts = data.map((msg) => new TextDecoder().decode(msg.data));
    // Every message ends at a line end, except the 64 KiB piece of the long
    // line and the unterminated tail.
    const cutMidLine = texts.filter((t) => !t.endsWith("\n"));
    assert.equal(
      cutMidLine.length,
      2,
      JSON.stringify(texts.map((t) => t.length)),
    );
    assert.equal(cutMidLine[0].length, 65536);
    assert.ok(cutMidLine[1].endsWith("tail without end"));
  });
});

Deno.test("StreamSender.write() gathers small writes into one message; lingerMs: 0 sends each", async () => {
  await withReceiver(async ({ nc, received, terminal }) => {
    const gathered = new StreamSender(nc, REPLY, { requestId: "r-g" });
    for (let i = 0; i < 1000; i++) {
      gathered.write("stdout", new TextEncoder().encode(`line ${i}\n`));
    }
    gathered.end("eof");
    await terminal();
    assert.equal(dataOf(received).length, 1);
  });
  await withReceiver(async ({ nc, received, terminal }) => {
    const eager = new StreamSender(nc, REPLY, {
      requestId: "r-e",
      lingerMs: 0,
    });
    for (let i = 0; i < 100; i++) {
      eager.write("stdout", new TextEncoder().encode(`line ${i}\n`));
    }
    eager.end("eof");
    await terminal();
    assert.equal(dataOf(received).length, 100);
    assert.deepEqual(
      seqs(received),
      Array.from({ length: 101 }, (_, i) => i + 1),
    );
  });
});

Deno.test("StreamSender.write() sends gathered data after lingerMs without more writes", async () => {
  await withReceiver(async ({ nc, received }) => {
    const sender = new StreamSender(nc, REPLY, {
      requestId: "r-linger",
      lines: true,
      lingerMs: 20,
    });
    sender.write("stdout", new TextEncoder().encode("first line\npart"));
    await waitFor("the whole line", () => received.length === 1);
    assert.equal(received[0].string(), "first line\n");
    await waitFor(
      "the partial line, one linger later",
      () => received.length === 2,
    );
    assert.equal(received[1].string(), "part");
    sender.end("cancelled");
  });
});

Deno.test("StreamSender keeps stdout and stderr in the order written", async () => {
  await withReceiver(async ({ nc, received, terminal }) => {
    const sender = new StreamSender(nc, REPLY, { requestId: "r-mix" });
    const enc = (s: string) => new TextEncoder().encode(s);
    sender.write("stdout", enc("a"));
    sender.write("stdout", enc("b"));
    sender.write("stderr", enc("c"));
    sender.write("stdout", enc("d"));
    sender.end("eof");
    await terminal();
    assert.deepEqual(
      dataOf(received).map((
        m,
      ) => [m.headers?.get("X-Harmony-Stream"), m.string()]),
      [["stdout", "ab"], ["stderr", "c"], ["stdout", "d"]],
    );
  });
});

Deno.test("StreamSender.fail() sends gathered data, then an ADR-32 error reply with the stream headers", async () => {
  await withReceiver(async ({ nc, received, terminal }) => {
    const sender = new StreamSender(nc, REPLY, { requestId: "r-fail" });
    sender.write("stdout", new TextEncoder().encode("partial"));
    sender.fail("internal", "Cannot read the log:\nthe runtime went away");
    const error = await terminal();
    assert.equal(received.length, 2);
    assert.equal(received[0].string(), "partial");
    assert.equal(error.headers?.get("Nats-Service-Error-Code"), "500");
    assert.equal(
      error.headers?.get("Nats-Service-Error"),
      "Cannot read the log: the runtime went away",
    );
    assert.equal(error.headers?.get("X-Harmony-Seq"), "2");
    assert.equal(error.headers?.get("X-Harmony-Request-Id"), "r-fail");
    assert.deepEqual(decodeErrorReply(error.data), {
      kind: "internal",
      message: "Cannot read the log:\nthe runtime went away",
    });
  });
});

Deno.test("StreamSender refuses to write or end after its terminal message", async () => {
  await withReceiver(({ nc }) => {
    const sender = new StreamSender(nc, REPLY, { requestId: "r-x" });
    sender.end("limit");
    for (
      const run of [
        () => sender.write("stdout", new Uint8Array(1)),
        () => sender.end("eof"),
        () => sender.fail("internal", "x"),
      ]
    ) {
      assert.throws(run, (error: unknown) => {
        assert.ok(error instanceof StreamEndedError);
        assert.equal(error.requestId, "r-x");
        assert.match(
          error.message,
          /on the stream of request "r-x": it has ended/,
        );
        return true;
      });
    }
    assert.throws(
      () =>
        new StreamSender(nc, REPLY, { requestId: "r" }).end("eof", {
          exitCode: -1,
        }),
      RangeError,
    );
    assert.throws(
      () => new StreamSender(nc, "", { requestId: "r" }),
      TypeError,
    );
    return Promise.resolve();
  });
});

/**
 * Streams 20 MiB in 64 KiB writes, heeding backpressure; returns the most
 * bytes the sender ever held unconfirmed by the server, and the most
 * published but not yet received (which also counts the receiver's lag).
 */
async function inFlight(
  flushEveryBytes: number,
): Promise<{ unconfirmed: number; unreceived: number }> {
  let unconfirmed = 0;
  let unreceived = 0;
  await withReceiver(async ({ nc, received, terminal }) => {
    const sender = new StreamSender(nc, REPLY, {
      requestId: "r-20m",
      flushEveryBytes,
    });
    let receivedBytes = 0;
    let counted = 0;
    const chunk = random(64 * KIB);
    for (let i = 0; i < 320; i++) {
      const wait = sender.write("stdout", chunk);
      if (wait) await wait;
      for (; counted < received.length; counted++) {
        receivedBytes += received[counted].data.length;
      }
      unconfirmed = Math.max(unconfirmed, sender.bytesUnconfirmed);
      unreceived = Math.max(unreceived, sender.bytesSent - receivedBytes);
    }
    sender.end("eof");
    await terminal();
    await sender.settled();
    assert.equal(join(dataOf(received)).length, 20 * 1024 * KIB);
    received.length = 0;
  });
  return { unconfirmed, unreceived };
}

Deno.test("StreamSender.write() keeps a 20 MiB stream from piling up in the sender", async () => {
  const paced = await inFlight(1024 * KIB);
  const unpaced = await inFlight(Infinity);
  // Without pacing the whole stream is queued before anything leaves.
  assert.equal(unpaced.unconfirmed, 20 * 1024 * KIB);
  assert.equal(unpaced.unreceived, 20 * 1024 * KIB);
  // Paced: at most two flush windows and a message wait for the server.
  assert.ok(
    paced.unconfirmed <= 2 * 1024 * KIB + 64 * KIB,
    `${paced.unconfirmed} bytes unconfirmed`,
  );
  assert.ok(paced.unreceived < 20 * 1024 * KIB, `${paced.unreceived}`);
});

Deno.test("StreamSender keeps a publish failure of its linger timer for the next write, never throwing it from the timer", async () => {
  await using nats = await NatsServerProcess.start({});
  const nc = await connect({ servers: nats.url });
  const sender = new StreamSender(nc, REPLY, {
    requestId: "r-linger",
    lingerMs: 20,
  });
  assert.equal(
    sender.write("stdout", new TextEncoder().encode("gathered")),
    undefined,
  );
  // The connection closes while the data waits for its linger timer.
  await nc.close();
  let timerThrew: unknown;
  const onError = (event: ErrorEvent) => {
    event.preventDefault();
    timerThrew = event.error;
  };
  globalThis.addEventListener("error", onError);
  try {
    await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    globalThis.removeEventListener("error", onError);
  }
  assert.equal(timerThrew, undefined, `the timer threw ${timerThrew}`);
  assert.throws(
    () => sender.write("stdout", new TextEncoder().encode("more")),
    (error: unknown) => {
      assert.ok(error instanceof Error);
      assert.equal(error.name, "ClosedConnectionError");
      return true;
    },
  );
});
