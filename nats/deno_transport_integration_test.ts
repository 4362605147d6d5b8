import assert from "node:assert/strict";
import { errors } from "@nats-io/nats-core";
import type { Server } from "@nats-io/nats-core";
import { connect } from "./mod.ts";
import { DenoTransport } from "./deno_transport.ts";
import {
  NatsServerProcess,
  openBlackhole as blackhole,
  tempDir,
} from "../testing/mod.ts";
import { makeCerts } from "./_test_tls.ts";

function serverAt(port: number, hostname = "127.0.0.1"): Server {
  return {
    hostname,
    port,
    listen: `${hostname}:${port}`,
    src: `${hostname}:${port}`,
    tlsName: "",
    reconnects: 0,
    lastConnect: 0,
    gossiped: false,
    didConnect: false,
  };
}

/** Tracks whether `p` has settled, as seen by reactions registered now. */
function watch(p: Promise<unknown>): { settled: boolean } {
  const state = { settled: false };
  p.then(() => state.settled = true, () => state.settled = true);
  return state;
}

/** A listener that accepts connections and never says a word. */
function silentPeer() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const accepted: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) accepted.push(conn);
  })();
  return {
    port: listener.addr.port,
    accepted,
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting.catch(() => {});
      for (const conn of accepted) conn.close();
    },
  };
}

Deno.test({
  name:
    "connect() with tls.handshakeFirst gives up on a host that never answers within timeout, leaving nothing behind",
  fn: async () => {
    await using dir = await tempDir("nats-transport-test-");
    const certs = await makeCerts(dir.path);
    await using hole = await blackhole();
    const started = performance.now();
    await assert.rejects(
      connect({
        servers: `127.0.0.1:${hole.port}`,
        timeout: 1_000,
        reconnect: false,
        tls: { caFile: certs.caFile, handshakeFirst: true },
      }),
      (err: unknown) => {
        assert.ok(err instanceof errors.TimeoutError, String(err));
        return true;
      },
    );
    const elapsed = performance.now() - started;
    // Before the fix, close() waited for the dial: about two minutes.
    assert.ok(elapsed < 30_000, `connect() took ${elapsed} ms`);
    // The abandoned dial completes once the peer accepts; the transport must
    // then close what it brings (the sanitizers check that nothing is left
    // open).
    await hole.drain(1);
  },
});

Deno.test({
  name:
    "connect() with tls.handshakeFirst gives up on a peer that never speaks TLS within timeout",
  fn: async () => {
    await using dir = await tempDir("nats-transport-test-");
    const certs = await makeCerts(dir.path);
    await using peer = silentPeer();
    await assert.rejects(
      connect({
        servers: `127.0.0.1:${peer.port}`,
        timeout: 500,
        reconnect: false,
        tls: { caFile: certs.caFile, handshakeFirst: true },
      }),
      (err: unknown) => {
        assert.ok(err instanceof errors.TimeoutError, String(err));
        return true;
      },
    );
    assert.equal(peer.accepted.length, 1);
  },
});

Deno.test("DenoTransport.closed() resolves when the server ends the connection, and after disconnect()", async (t) => {
  await t.step("the server goes away", async () => {
    await using server = await NatsServerProcess.start();
    const transport = new DenoTransport();
    await transport.connect(serverAt(server.port), {});
    await server.kill();
    const result = await transport.closed();
    assert.ok(result === undefined || result instanceof Error);
    assert.ok(transport.isClosed);
  });
  await t.step("disconnect()", async () => {
    await using server = await NatsServerProcess.start();
    const transport = new DenoTransport();
    await transport.connect(serverAt(server.port), {});
    transport.disconnect();
    assert.equal(await transport.closed(), undefined);
    assert.ok(transport.isClosed);
  });
});

Deno.test("DenoTransport.closed() stays pending after close(), a failed connect() and discard()", async () => {
  await using server = await NatsServerProcess.start();

  const closedByCaller = new DenoTransport();
  await closedByCaller.connect(serverAt(server.port), {});
  const afterClose = watch(closedByCaller.closed());
  await closedByCaller.close();
  assert.ok(closedByCaller.isClosed);
  assert.equal(afterClose.settled, false);

  const closedWithError = new DenoTransport();
  await closedWithError.connect(serverAt(server.port), {});
  const afterCloseError = watch(closedWithError.closed());
  await closedWithError.close(new Error("handshake failed"));
  assert.equal(afterCloseError.settled, false);

  const failed = new DenoTransport();
  const afterFail = watch(failed.closed());
  await assert.rejects(
    failed.connect(serverAt(server.port), { tls: {} }),
    errors.ConnectionError,
  );
  await failed.close();
  assert.equal(afterFail.settled, false);

  const discarded = new DenoTransport();
  await discarded.connect(serverAt(server.port), {});
  const afterDiscard = watch(discarded.closed());
  discarded.discard();
  await discarded.close();
  assert.equal(afterDiscard.settled, false);
});

Deno.test("DenoTransport writes the frames queued in one turn in one write (CONNECT with PING)", async () => {
  await using server = await NatsServerProcess.start();
  // Count the writes of every TCP connection while connect() runs.
  const probe = await Deno.connect({
    hostname: "127.0.0.1",
    port: server.port,
  });
  const proto = Object.getPrototypeOf(probe) as { write: Deno.Conn["write"] };
  probe.close();
  const write = proto.write;
  const written: string[] = [];
  proto.write = function (this: Deno.Conn, p: Uint8Array) {
    written.push(new TextDecoder().decode(p));
    return write.call(this, p);
  };
  try {
    const nc = await connect({ servers: server.url });
    await nc.close();
  } finally {
    proto.write = write;
  }
  const first = written.findIndex((text) => text.startsWith("CONNECT "));
  assert.ok(first >= 0, JSON.stringify(written));
  assert.match(written[first], /^CONNECT [^\r]*\r\nPING\r\n/);
});
