// PodmanClient.logs() against a fake podman that writes its answers byte
// by byte: the HTTP/1.1 framing real podman 4.3 does not exercise.
import assert from "node:assert/strict";
import { PodmanClient } from "./client.ts";
import {
  PodmanApiError,
  PodmanNotFoundError,
  PodmanStreamError,
  PodmanUnavailableError,
} from "./errors.ts";
import type { StreamChunk } from "./frames.ts";
import {
  bytesOf,
  type FakeExchange,
  FakePodman,
  frame,
  httpChunk,
} from "./_test_fake_podman.ts";
import { collect, text, waitFor } from "./_test_podman.ts";

const CHUNKED_HEAD = "HTTP/1.1 200 OK\r\n" +
  "Api-Version: 1.41\r\n" +
  "Libpod-Api-Version: 4.3.1\r\n" +
  "Server: Libpod/4.3.1 (linux)\r\n" +
  "Transfer-Encoding: chunked\r\n\r\n";
const LAST_CHUNK = "0\r\n\r\n";

/** A fake that answers every request with `answer`, and a client on it. */
async function fake(answer: (exchange: FakeExchange) => Promise<void>) {
  const podman = await FakePodman.start(answer);
  const client = new PodmanClient(podman.socket);
  return {
    podman,
    client,
    async [Symbol.asyncDispose]() {
      await client[Symbol.asyncDispose]();
      await podman[Symbol.asyncDispose]();
    },
  };
}

async function chunksOf(
  source: AsyncIterable<StreamChunk>,
): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const { stream, data } of source) out.push([stream, text(data)]);
  return out;
}

function expectStreamError(problem: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof PodmanStreamError, String(error));
    assert.equal(error.name, "PodmanStreamError");
    assert.match(
      error.endpoint,
      /^GET \/v4\.0\.0\/libpod\/containers\/web\/logs\?/,
    );
    assert.match(
      error.message,
      /^Cannot read the logs of container "web": .+ \(GET \/v4\.0\.0\/libpod\/containers\/web\/logs\?.+ on ".+podman\.sock"\)$/,
    );
    assert.match(error.message, problem);
    return true;
  };
}

Deno.test("PodmanClient.logs() joins the adjacent same-stream frames of one read into one chunk", async () => {
  // As podman sends a log: one HTTP chunk per frame, one frame per line.
  await using t = await fake(async (exchange) => {
    await exchange.write(bytesOf(
      CHUNKED_HEAD,
      httpChunk(frame(1, "out 1\n")),
      httpChunk(frame(1, "out 2\n")),
      httpChunk(frame(2, "err 1\n")),
      httpChunk(frame(2, "err 2\n")),
      httpChunk(frame(1, "out 3\n")),
      LAST_CHUNK,
    ));
  });
  assert.deepEqual(await chunksOf(t.client.logs("web")), [
    ["stdout", "out 1\nout 2\n"],
    ["stderr", "err 1\nerr 2\n"],
    ["stdout", "out 3\n"],
  ]);
});

Deno.test("PodmanClient.logs() sends a GET of its own for the query, and closes it after the last chunk", async () => {
  await using t = await fake(async (exchange) => {
    await exchange.write(CHUNKED_HEAD + LAST_CHUNK);
  });
  assert.deepEqual(
    await chunksOf(t.client.logs("we b", { tail: 3, stderr: false })),
    [],
  );
  const [request] = t.podman.requests;
  assert.match(
    request,
    /^GET \/v4\.0\.0\/libpod\/containers\/we%20b\/logs\?stdout=true&stderr=false&follow=false&timestamps=false&tail=3 HTTP\/1\.1\r\n/,
  );
  assert.match(request, /\r\nHost: d(\r\n|$)/);
  await waitFor(
    "the client to close its connection",
    () => t.podman.clientCloses === 1,
  );
});

Deno.test("PodmanClient.logs() reads chunk extensions, frames split across chunks and reads, and trailers", async () => {
  const body = bytesOf(
    frame(1, "out 1\n"),
    frame(2, "err 1\n"),
    frame(1, "out 2\n"),
    frame(1, ""),
    frame(2, "no newline"),
  );
  await using t = await fake(async (exchange) => {
    await exchange.write("HTTP/1.1 200 OK\r\nTransfer-");
    await exchange.write("Encoding: chunked\r\n\r");
    await exchange.write("\n");
    // Chunks of 5 bytes, cutting headers and payloads; writes of 3 bytes.
    const wire = bytesOf(
      ...Array.from(
        { length: Math.ceil(body.length / 5) },
        (_, i) =>
          httpChunk(body.subarray(i * 5, i * 5 + 5), i % 2 ? ";ext=1" : ""),
      ),
      "0;end\r\nX-Trailer: yes\r\n\r\n",
    );
    for (let i = 0; i < wire.length; i += 3) {
      await exchange.write(wire.subarray(i, i + 3));
    }
  });
  const { stdout, stderr } = await collect(t.client.logs("web"));
  assert.equal(text(stdout), "out 1\nout 2\n");
  assert.equal(text(stderr), "err 1\nno newline");
});

Deno.test("PodmanClient.logs() reads an answer with a Content-Length", async () => {
  const body = bytesOf(frame(1, "out 1\n"), frame(2, "err 1\n"));
  await using t = await fake(async (exchange) => {
    await exchange.write(
      `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`,
    );
    await exchange.write(body.subarray(0, 11));
    await exchange.write(body.subarray(11));
  });
  const { stdout, stderr } = await collect(t.client.logs("web"));
  assert.equal(text(stdout), "out 1\n");
  assert.equal(text(stderr), "err 1\n");
});

Deno.test("PodmanClient.logs() throws PodmanStreamError when the connection closes before the last chunk, never a quiet end", async () => {
  await using t = await fake(async (exchange) => {
    await exchange.write(
      bytesOf(CHUNKED_HEAD, httpChunk(frame(1, "out 1\n"))),
    );
    exchange.close();
  });
  const seen: string[] = [];
  await assert.rejects(
    (async () => {
      for await (const { data } of t.client.logs("web")) seen.push(text(data));
    })(),
    expectStreamError(/it ended before the last chunk/),
  );
  assert.deepEqual(seen, ["out 1\n"]);
});

Deno.test("PodmanClient.logs() throws PodmanStreamError when the connection closes inside a chunk or a Content-Length body", async () => {
  for (
    const [wire, problem] of [
      [
        bytesOf(CHUNKED_HEAD, "e\r\n", frame(1, "out")),
        /it ended inside a chunk \(11 of 14 data bytes\)/,
      ],
      [
        bytesOf("HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n", frame(1, "x")),
        /it ended after 9 of 20 bytes/,
      ],
    ] as const
  ) {
    await using t = await fake(async (exchange) => {
      await exchange.write(wire);
      exchange.close();
    });
    await assert.rejects(
      collect(t.client.logs("web")),
      expectStreamError(problem),
    );
  }
});

Deno.test("PodmanClient.logs() throws PodmanStreamError for an answer that breaks chunked framing", async () => {
  await using t = await fake(async (exchange) => {
    await exchange.write(bytesOf(CHUNKED_HEAD, "zz\r\n"));
  });
  await assert.rejects(
    collect(t.client.logs("web")),
    expectStreamError(
      /Cannot read the HTTP answer: a chunk size line does not start with a hex digit/,
    ),
  );
});

Deno.test("PodmanClient.logs() throws PodmanApiError with podman's message from a chunked or Content-Length error answer", async () => {
  const json = JSON.stringify({
    cause: "invalid argument",
    message: 'parsing time "soon": invalid',
    response: 400,
  });
  await using t = await fake(async (exchange) => {
    if (exchange.request.includes("/containers/ghost/")) {
      const missing = '{"message":"no such container","response":404}';
      await exchange.write(
        `HTTP/1.1 404 Not Found\r\nContent-Length: ${missing.length}\r\n\r\n${missing}`,
      );
    } else {
      await exchange.write(
        bytesOf(
          "HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n",
          httpChunk(new TextEncoder().encode(json.slice(0, 10))),
          httpChunk(new TextEncoder().encode(json.slice(10)), ";x=y"),
          LAST_CHUNK,
        ),
      );
    }
  });
  await assert.rejects(
    collect(t.client.logs("web", { since: "soon" })),
    (error) => {
      assert.ok(error instanceof PodmanApiError, String(error));
      assert.equal(error.name, "PodmanApiError");
      assert.equal(error.status, 400);
      assert.equal(error.reason, 'parsing time "soon": invalid');
      assert.equal(error.socket, t.podman.socket);
      assert.match(
        error.endpoint,
        /^GET \/v4\.0\.0\/libpod\/containers\/web\/logs\?.*since=soon/,
      );
      return true;
    },
  );
  await assert.rejects(collect(t.client.logs("ghost")), (error) => {
    assert.ok(error instanceof PodmanNotFoundError, String(error));
    assert.equal(error.status, 404);
    assert.equal(error.reason, "no such container");
    return true;
  });
});

Deno.test("PodmanClient.logs() throws PodmanUnavailableError when the connection closes before an answer, or the answer is not HTTP", async () => {
  for (const wire of ["", "SSH-2.0-OpenSSH_9.2\r\n\r\n"]) {
    await using t = await fake(async (exchange) => {
      await exchange.write(wire);
      exchange.close();
    });
    await assert.rejects(collect(t.client.logs("web")), (error) => {
      assert.ok(error instanceof PodmanUnavailableError, String(error));
      assert.equal(error.socket, t.podman.socket);
      assert.match(
        error.endpoint,
        /^GET \/v4\.0\.0\/libpod\/containers\/web\/logs\?/,
      );
      assert.match(error.message, /^Cannot read the logs of container "web": /);
      return true;
    });
  }
});

Deno.test("PodmanClient.logs() closes its connection when its signal aborts before podman answers", async () => {
  await using t = await fake(async () => {
    // No answer: the request hangs until the client closes it.
  });
  const controller = new AbortController();
  const reason = new Error("stop now");
  const reading = collect(t.client.logs("web", { signal: controller.signal }));
  await waitFor("the request to come", () => t.podman.requests.length === 1);
  controller.abort(reason);
  await assert.rejects(reading, (error) => error === reason);
  await waitFor(
    "the client to close its connection",
    () => t.podman.clientCloses === 1,
  );
});

Deno.test("PodmanClient.logs() closes its connection when the consumer breaks out while podman writes", async () => {
  await using t = await fake(async (exchange) => {
    await exchange.write(CHUNKED_HEAD);
    for (let i = 0; i < 1000 && t.podman.clientCloses === 0; i++) {
      try {
        await exchange.write(httpChunk(frame(1, `line ${i}\n`)));
      } catch {
        return; // The client closed it.
      }
    }
  });
  for await (const _ of t.client.logs("web", { follow: true })) break;
  await waitFor(
    "the client to close its connection",
    () => t.podman.clientCloses === 1,
  );
});

Deno.test("PodmanClient.logs() closes its connection at once when its signal aborts while it waits for more of the body", async () => {
  await using t = await fake(async (exchange) => {
    await exchange.write(bytesOf(CHUNKED_HEAD, httpChunk(frame(1, "first\n"))));
    // Then nothing: a follow request of a quiet container.
  });
  const controller = new AbortController();
  const reason = new Error("stop now");
  const logs = t.client.logs("web", {
    follow: true,
    signal: controller.signal,
  });
  const first = await logs.next();
  assert.equal(first.done, false);
  assert.equal(text(first.value!.data), "first\n");
  const waiting = logs.next();
  controller.abort(reason);
  await assert.rejects(waiting, (error) => error === reason);
  await waitFor(
    "the client to close its connection",
    () => t.podman.clientCloses === 1,
  );
});
