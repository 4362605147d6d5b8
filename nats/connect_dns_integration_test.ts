import assert from "node:assert/strict";
import { errors } from "@nats-io/nats-core";
import { connect } from "./mod.ts";
import { NatsServerProcess, tempDir } from "../testing/mod.ts";
import { makeCerts, startTlsServer } from "./_test_tls.ts";

/**
 * A listener on 127.0.0.1:`port` that hangs up on everyone: the address of
 * `localhost` that does not work.
 */
function hangUpOn(port: number) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port });
  let dials = 0;
  const accepting = (async () => {
    for await (const conn of listener) {
      dials++;
      conn.close();
    }
  })();
  return {
    get dials() {
      return dials;
    },
    async [Symbol.asyncDispose]() {
      listener.close();
      await accepting.catch(() => {});
    },
  };
}

// `localhost` resolves to 127.0.0.1 and ::1 (Deno's resolver answers ::1
// for it even where /etc/hosts does not say so). The server listens on ::1
// only; 127.0.0.1 hangs up.
Deno.test("connect() resolves a host name and fails over across its addresses", async () => {
  await using server = await NatsServerProcess.start({
    config: { host: "[::1]" },
  });
  await using v4 = hangUpOn(server.port);
  // In resolver order: 127.0.0.1 first, then ::1.
  const nc = await connect({
    servers: `nats://localhost:${server.port}`,
    noRandomize: true,
    reconnect: false,
  });
  try {
    await nc.flush();
    // 127.0.0.1 was dialled and hung up; the server on ::1 answered.
    assert.equal(v4.dials, 1);
    assert.equal(nc.getServer(), `localhost:${server.port}`);
  } finally {
    await nc.close();
  }
  // Shuffled, as by default: every connect still gets through.
  for (let i = 0; i < 20; i++) {
    const again = await connect({
      servers: `nats://localhost:${server.port}`,
      resolve: true,
      maxReconnectAttempts: 0,
    });
    await again.flush();
    await again.close();
  }
});

Deno.test("connect() names a host that does not resolve", async () => {
  await assert.rejects(
    connect({ servers: "nats://nats.does-not-exist.invalid:4222" }),
    (err: unknown) => {
      assert.ok(err instanceof errors.ConnectionError, String(err));
      assert.match(
        err.message,
        /^Cannot connect to "nats\.does-not-exist\.invalid:4222": /,
      );
      return true;
    },
  );
});

Deno.test({
  name:
    "connect() with handshakeFirst checks the certificate against the host name it resolved",
  fn: async () => {
    await using dir = await tempDir("nats-dns-test-");
    const certs = await makeCerts(dir.path);
    // The certificate names localhost, not 127.0.0.1.
    await using server = await startTlsServer(certs, {
      nameOnly: true,
      handshakeFirst: true,
    });
    const tls = { caFile: certs.caFile, handshakeFirst: true };
    const nc = await connect({
      servers: `tls://localhost:${server.port}`,
      tls,
    });
    await nc.flush();
    await nc.close();
    await assert.rejects(
      connect({ servers: server.url, tls, reconnect: false }),
      (err: unknown) => {
        assert.ok(err instanceof errors.ConnectionError, String(err));
        assert.match(err.message, /certificate/i);
        return true;
      },
    );
  },
});

Deno.test({
  name:
    "connect() upgrades to TLS checking the certificate against the host name it resolved",
  fn: async () => {
    await using dir = await tempDir("nats-dns-test-");
    const certs = await makeCerts(dir.path);
    await using server = await startTlsServer(certs, { nameOnly: true });
    const nc = await connect({
      servers: `nats://localhost:${server.port}`,
      tls: { caFile: certs.caFile },
    });
    await nc.flush();
    await nc.close();
    await assert.rejects(
      connect({
        servers: server.url,
        tls: { caFile: certs.caFile },
        reconnect: false,
      }),
      (err: unknown) => {
        assert.ok(err instanceof errors.ConnectionError, String(err));
        assert.match(err.message, /certificate/i);
        return true;
      },
    );
  },
});
