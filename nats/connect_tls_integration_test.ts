import assert from "node:assert/strict";
import { errors } from "@nats-io/nats-core";
import type { NatsConnection } from "@nats-io/nats-core";
import type { NatsConnectionImpl } from "@nats-io/nats-core/internal";
import { connect } from "./mod.ts";
import { NatsServerProcess, tempDir } from "../e2e/_test_support.ts";
import { hasOpenssl, makeCerts, startTlsServer } from "./_test_tls.ts";

const ignore = !hasOpenssl();

function encrypted(nc: NatsConnection): boolean {
  return (nc as NatsConnectionImpl).protocol.transport.isEncrypted();
}

function tlsUrl(url: string): string {
  return url.replace(/^nats:/, "tls:");
}

Deno.test({
  name: "connect() upgrades to TLS when the server requires it",
  ignore,
  fn: async () => {
    await using dir = await tempDir("nats-tls-test-");
    const certs = await makeCerts(dir.path);
    await using server = await startTlsServer(certs);
    const nc = await connect({
      servers: server.url,
      tls: { caFile: certs.caFile },
    });
    try {
      assert.ok(encrypted(nc));
      nc.subscribe("tls.echo", { callback: (_e, m) => void m.respond(m.data) });
      assert.equal(
        (await nc.request("tls.echo", "secret", { timeout: 2_000 })).string(),
        "secret",
      );
    } finally {
      await nc.close();
    }
    // Without the CA the certificate is refused.
    await assert.rejects(
      connect({ servers: server.url, reconnect: false }),
      (err: unknown) =>
        err instanceof errors.ConnectionError &&
        /certificate/i.test(err.message),
    );
  },
});

Deno.test({
  name: "connect() speaks TLS first when tls.handshakeFirst is set",
  ignore,
  fn: async () => {
    await using dir = await tempDir("nats-tls-test-");
    const certs = await makeCerts(dir.path);
    await using server = await startTlsServer(certs, {
      tls: ["handshake_first: true"],
    });
    const nc = await connect({
      servers: server.url,
      tls: { caFile: certs.caFile, handshakeFirst: true },
    });
    try {
      await nc.flush();
      assert.ok(nc.info?.tls_required);
      assert.ok(encrypted(nc));
    } finally {
      await nc.close();
    }
  },
});

Deno.test("connect() refuses a tls:// URL to a server that offers no TLS, naming the server", async () => {
  await using server = await NatsServerProcess.start();
  for (
    const options of [
      { servers: tlsUrl(server.url) },
      { servers: server.url, tls: {} },
      { servers: server.url, tls: { handshakeFirst: false } },
    ]
  ) {
    await assert.rejects(
      connect({ ...options, reconnect: false }),
      (err: unknown) => {
        assert.ok(err instanceof errors.ConnectionError, String(err));
        assert.equal(
          err.message,
          `Cannot connect to "127.0.0.1:${server.port}": TLS is required ` +
            "(tls:// URL or tls option) but the server does not offer it",
        );
        return true;
      },
    );
  }
});

Deno.test("connect() refuses a tls:// URL together with tls: null", async () => {
  await assert.rejects(
    connect({ servers: "tls://127.0.0.1:4222", tls: null }),
    (err: unknown) => {
      assert.ok(err instanceof TypeError, String(err));
      assert.match(err.message, /"tls:\/\/127\.0\.0\.1:4222".*tls: null/);
      return true;
    },
  );
});

Deno.test({
  name: "connect() connects with TLS through a tls:// URL",
  ignore,
  fn: async () => {
    await using dir = await tempDir("nats-tls-test-");
    const certs = await makeCerts(dir.path);
    // TLS offered, not required: only the URL makes the client use it.
    await using server = await startTlsServer(certs, {
      extraConfig: "allow_non_tls: true",
    });
    const nc = await connect({
      servers: tlsUrl(server.url),
      tls: { caFile: certs.caFile },
    });
    try {
      await nc.flush();
      assert.ok(encrypted(nc));
    } finally {
      await nc.close();
    }
    // `tls: null` is how to opt out of a TLS the server only offers.
    const plain = await connect({ servers: server.url, tls: null });
    try {
      await plain.flush();
      assert.equal(encrypted(plain), false);
    } finally {
      await plain.close();
    }
  },
});
