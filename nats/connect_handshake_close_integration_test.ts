import assert from "node:assert/strict";
import { connect } from "./mod.ts";
import { waitFor } from "../testing/mod.ts";

const INFO = 'INFO {"server_id":"fake","version":"2.10.27","proto":1,' +
  '"max_payload":1048576,"headers":true}\r\n';

/**
 * A peer that, like a nats-server shutting down, sends INFO, answers the
 * client's first PING with PONG and closes the connection at once.
 */
function pongThenClose() {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  let dials = 0;
  const handlers: Promise<void>[] = [];
  const serve = async (conn: Deno.Conn) => {
    try {
      await conn.write(new TextEncoder().encode(INFO));
      const buf = new Uint8Array(4096);
      let text = "";
      while (!text.includes("PING")) {
        const n = await conn.read(buf);
        if (n === null) return;
        text += new TextDecoder().decode(buf.subarray(0, n));
      }
      await conn.write(new TextEncoder().encode("PONG\r\n"));
    } catch {
      // The client went first.
    } finally {
      conn.close();
    }
  };
  const accepting = (async () => {
    for await (const conn of listener) {
      dials++;
      handlers.push(serve(conn));
    }
  })();
  return {
    url: `nats://127.0.0.1:${port}`,
    get dials() {
      return dials;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting.catch(() => {});
      await Promise.all(handlers);
    },
  };
}

Deno.test("connect() notices a server that answers the handshake and closes at once, and dials again", async () => {
  await using peer = pongThenClose();
  const nc = await connect({
    servers: peer.url,
    timeout: 2_000,
    reconnectTimeWait: 50,
    maxReconnectAttempts: -1,
  });
  try {
    // Before: the client took the closed connection for a live one and
    // never dialled again.
    await waitFor("a second dial", () => peer.dials >= 2, {
      timeoutMs: 5_000,
    });
    assert.ok(peer.dials >= 2);
  } finally {
    await nc.close();
  }
});
