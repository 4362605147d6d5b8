// FleetCommandsClient.logs() against a real nats-server and an in-process
// CommandServer with a stand-in logs handler.
import assert from "node:assert/strict";
import { InvalidDeviceIdError, type StreamChunk } from "../contracts/mod.ts";
import { FleetCommandsClient } from "./client.ts";
import type { LogsOptions } from "./logs.ts";
import {
  CommandError,
  DeviceOfflineError,
  RemoteCommandError,
  StreamEndedEarlyError,
  StreamInterruptedError,
} from "./errors.ts";
import { DEVICE, withStreamAgent } from "./_test_stream_agent.ts";
import { TEST_ADMIN, waitFor } from "../testing/mod.ts";

const decoder = new TextDecoder();

async function collect(
  iterable: AsyncIterable<StreamChunk>,
): Promise<StreamChunk[]> {
  const chunks: StreamChunk[] = [];
  for await (const chunk of iterable) chunks.push(chunk);
  return chunks;
}

function textOf(chunks: StreamChunk[], stream?: "stdout" | "stderr"): string {
  return chunks.filter((c) => stream === undefined || c.stream === stream)
    .map((c) => decoder.decode(c.data)).join("");
}

Deno.test("FleetCommandsClient.logs() yields the log's stdout and stderr chunks and ends at eof", async () => {
  await withStreamAgent(async ({ operatorNc, calls }) => {
    const client = new FleetCommandsClient(operatorNc);
    const stream = client.logs(DEVICE, { container: "web" });
    const chunks = await collect(stream);
    assert.deepEqual(stream.end, { reason: "eof" });
    assert.equal(
      textOf(chunks, "stdout"),
      "line 1\nline 2\nline 3\nline 4\nline 5\n",
    );
    assert.equal(textOf(chunks, "stderr"), "warn\n");
    assert.equal(calls.length, 1);
    assert.equal(calls[0].requestId, stream.requestId);
    assert.equal(calls[0].operatorSub, TEST_ADMIN.user);
  });
});

Deno.test("FleetCommandsClient.logs() sends every option under its wire name, since and until as Date or RFC 3339", async () => {
  await withStreamAgent(async ({ operatorNc }) => {
    const client = new FleetCommandsClient(operatorNc);
    const since = new Date("2026-11-27T18:00:00.250Z");
    const chunks = await collect(client.logs(DEVICE, {
      container: "request",
      tail: 0,
      since,
      until: "2026-11-27T20:00:00+01:00",
      timestamps: true,
      follow: false,
      stdout: true,
      stderr: false,
      limitBytes: 100_000,
    }));
    assert.deepEqual(JSON.parse(textOf(chunks)), {
      verb: "logs",
      container: "request",
      tail: 0,
      since: "2026-11-27T18:00:00.250Z",
      until: "2026-11-27T20:00:00+01:00",
      timestamps: true,
      follow: false,
      stdout: true,
      stderr: false,
      limit_bytes: 100_000,
    });
    const bare = await collect(client.logs(DEVICE, { container: "request" }));
    assert.deepEqual(JSON.parse(textOf(bare)), {
      verb: "logs",
      container: "request",
    });
  });
});

Deno.test("FleetCommandsClient.logs() is binary-safe and honours tail, stdout and stderr", async () => {
  await withStreamAgent(async ({ operatorNc }) => {
    const client = new FleetCommandsClient(operatorNc);
    const binary = await collect(client.logs(DEVICE, { container: "binary" }));
    assert.deepEqual(
      [...binary.flatMap((c) => [...c.data])],
      Array.from({ length: 256 }, (_, i) => i),
    );
    const tail = await collect(
      client.logs(DEVICE, { container: "web", tail: 2, stderr: false }),
    );
    assert.equal(textOf(tail), "line 4\nline 5\n");
    const errOnly = await collect(
      client.logs(DEVICE, { container: "web", stdout: false }),
    );
    assert.deepEqual(errOnly.map((c) => c.stream), ["stderr"]);
  });
});

Deno.test("FleetCommandsClient.logs() with limitBytes ends normally at the limit, cut exactly", async () => {
  await withStreamAgent(async ({ operatorNc, calls }) => {
    const client = new FleetCommandsClient(operatorNc);
    const stream = client.logs(DEVICE, {
      container: "ticker",
      follow: true,
      limitBytes: 20,
    });
    const chunks = await collect(stream);
    assert.deepEqual(stream.end, { reason: "limit" });
    assert.equal(textOf(chunks), "tick 1\ntick 2\ntick 3");
    await waitFor("the handler stopped", () => calls[0].signal.aborted);
  });
});

Deno.test("FleetCommandsClient.logs() follow: breaking out of the loop sends cancel, and the handler's signal aborts", async () => {
  await withStreamAgent(async ({ operatorNc, calls, server }) => {
    const client = new FleetCommandsClient(operatorNc);
    const seen: string[] = [];
    for await (
      const chunk of client.logs(DEVICE, { container: "ticker", follow: true })
    ) {
      seen.push(decoder.decode(chunk.data));
      if (seen.join("").includes("tick 3")) break;
    }
    await waitFor("the handler stopped", () => calls[0].signal.aborted);
    await waitFor("no stream open", () => server.openStreams === 0);
  });
});

Deno.test("FleetCommandsClient.logs() aborted by its signal sends cancel and throws the signal's reason", async () => {
  await withStreamAgent(async ({ operatorNc, calls }) => {
    const client = new FleetCommandsClient(operatorNc);
    const controller = new AbortController();
    const reason = new Error("enough");
    const error = await (async () => {
      for await (
        const _ of client.logs(DEVICE, {
          container: "ticker",
          follow: true,
          signal: controller.signal,
        })
      ) {
        controller.abort(reason);
      }
    })().catch((e) => e);
    assert.equal(error, reason);
    await waitFor("the handler stopped", () => calls[0].signal.aborted);
  });
});

Deno.test("FleetCommandsClient.logs() that does not follow and is not done by its deadline throws StreamEndedEarlyError (deadline)", async () => {
  await withStreamAgent(async ({ operatorNc, calls }) => {
    const client = new FleetCommandsClient(operatorNc);
    const chunks: StreamChunk[] = [];
    const error = await collect({
      async *[Symbol.asyncIterator]() {
        for await (
          const chunk of client.logs(DEVICE, {
            container: "ticker",
            timeoutMs: 300,
          })
        ) {
          chunks.push(chunk);
          yield chunk;
        }
      },
    }).catch((e) => e);
    assert.ok(error instanceof StreamEndedEarlyError, String(error));
    assert.equal(error.reason, "deadline");
    assert.equal(error.timeoutMs, 300);
    assert.equal(error.deviceId, DEVICE);
    assert.equal(error.verb, "logs");
    assert.ok(chunks.length > 0);
    assert.ok(calls[0].signal.aborted);
  });
});

Deno.test("FleetCommandsClient.logs() throws RemoteCommandError for a missing container and DeviceOfflineError for a device without agent", async () => {
  await withStreamAgent(async ({ operatorNc }) => {
    const client = new FleetCommandsClient(operatorNc);
    const missing = await collect(client.logs(DEVICE, { container: "nope" }))
      .catch((e) => e);
    assert.ok(missing instanceof RemoteCommandError, String(missing));
    assert.equal(missing.kind, "not_found");
    assert.equal(missing.code, 404);
    assert.equal(missing.remoteMessage, 'No container "nope"');
    const offline = await collect(client.logs("ghost", { container: "web" }))
      .catch((e) => e);
    assert.ok(offline instanceof DeviceOfflineError, String(offline));
    assert.equal(offline.deviceId, "ghost");
  });
});

Deno.test("FleetCommandsClient.logs() throws TypeError or RangeError naming the option before anything is sent", async () => {
  await withStreamAgent(async ({ operatorNc, calls }) => {
    const client = new FleetCommandsClient(operatorNc);
    const bad: [Partial<LogsOptions>, typeof TypeError, RegExp][] = [
      [{ container: "" }, TypeError, /"container" must not be empty/],
      [{ container: 7 as unknown as string }, TypeError, /"container"/],
      [
        { tail: -1 },
        RangeError,
        /option "tail" must be an integer of at least 0, got -1/,
      ],
      [{ tail: 1.5 }, RangeError, /option "tail" .* got 1\.5/],
      [
        { tail: "3" as unknown as number },
        TypeError,
        /option "tail" must be a number, got "3"/,
      ],
      [
        { since: "10m" },
        RangeError,
        /option "since" must be a Date or an RFC 3339 date-time .* got "10m"/,
      ],
      [
        { since: new Date(NaN) },
        RangeError,
        /option "since" is an invalid Date/,
      ],
      [
        { until: 5 as unknown as string },
        TypeError,
        /option "until" must be a Date or a string/,
      ],
      [
        { since: "2026-01-02T00:00:00Z", until: "2026-01-01T00:00:00Z" },
        RangeError,
        /option "until" must not be before "since"/,
      ],
      [
        { limitBytes: 0 },
        RangeError,
        /option "limitBytes" must be an integer of at least 1, got 0/,
      ],
      [
        { timestamps: "yes" as unknown as boolean },
        TypeError,
        /option "timestamps" must be a boolean/,
      ],
      [
        { stdout: false, stderr: false },
        TypeError,
        /"stdout" and "stderr" must not both be false/,
      ],
    ];
    for (const [options, type, message] of bad) {
      assert.throws(
        () => client.logs(DEVICE, { container: "web", ...options }),
        (error: unknown) => {
          assert.ok(
            error instanceof type,
            `${JSON.stringify(options)}: ${error}`,
          );
          assert.ok(!(error instanceof CommandError));
          assert.match((error as Error).message, message);
          assert.match(
            (error as Error).message,
            /^Cannot logs device "dev-1": /,
          );
          return true;
        },
      );
    }
    assert.throws(
      () => client.logs("a.b", { container: "web" }),
      InvalidDeviceIdError,
    );
    await operatorNc.flush();
    assert.equal(calls.length, 0);
  });
});

Deno.test("FleetCommandsClient.logs() follow whose agent connection is cut throws StreamInterruptedError (lost)", async () => {
  await withStreamAgent(async ({ operatorNc, agentNc }) => {
    const client = new FleetCommandsClient(operatorNc);
    let count = 0;
    const error = await (async () => {
      for await (
        const _ of client.logs(DEVICE, { container: "quiet", follow: true })
      ) {
        if (++count === 1) await agentNc.close();
      }
    })().catch((e) => e);
    assert.ok(error instanceof StreamInterruptedError, String(error));
    assert.equal(error.reason, "lost");
    assert.equal(error.verb, "logs");
  });
});
