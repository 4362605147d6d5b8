import assert from "node:assert/strict";
import { errors } from "@nats-io/nats-core";
import type { NatsConnection } from "@nats-io/nats-core";
import type { NatsConnectionImpl } from "@nats-io/nats-core/internal";
import { connect, NatsTlsError } from "./mod.ts";
import { NatsServerProcess, tempDir } from "../testing/mod.ts";
import { makeCerts, startTlsServer } from "./_test_tls.ts";

function encrypted(nc: NatsConnection): boolean {
  return (nc as NatsConnectionImpl).protocol.transport.isEncrypted();
}

function tlsUrl(url: string): string {
  return url.replace(/^nats:/, "tls:");
}

Deno.test({
  name: "connect() upgrades to TLS when the server requires it",
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
  fn: async () => {
    await using dir = await tempDir("nats-tls-test-");
    const certs = await makeCerts(dir.path);
    await using server = await startTlsServer(certs, {
      handshakeFirst: true,
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

Deno.test({
  name:
    "connect() refuses a client certificate without its key, the reverse, and ca with caFile, instead of dropping one",
  fn: async () => {
    await using dir = await tempDir("nats-tls-test-");
    const certs = await makeCerts(dir.path);
    // This server would take any of them: nothing may be silently dropped.
    await using server = await startTlsServer(certs, {
      handshakeFirst: true,
    });
    const ca = await Deno.readTextFile(certs.caFile);
    for (
      const [tls, message] of [
        [{ certFile: certs.clientCert }, /certificate needs its key/],
        [{ keyFile: certs.clientKey }, /key needs its certificate/],
        [{ ca }, /tls\.ca and tls\.caFile are both set/],
      ] as const
    ) {
      await assert.rejects(
        connect({
          servers: server.url,
          reconnect: false,
          tls: { caFile: certs.caFile, handshakeFirst: true, ...tls },
        }),
        (err: unknown) => {
          assert.ok(err instanceof TypeError, String(err));
          assert.match(err.message, message);
          return true;
        },
      );
    }
  },
});

Deno.test({
  name:
    "connect() says that a client certificate needs the server's handshake_first and tls.handshakeFirst",
  fn: async () => {
    await using dir = await tempDir("nats-tls-test-");
    const certs = await makeCerts(dir.path);
    await using server = await startTlsServer(certs, { verify: true });
    await assert.rejects(
      connect({
        servers: server.url,
        reconnect: false,
        tls: {
          caFile: certs.caFile,
          certFile: certs.clientCert,
          keyFile: certs.clientKey,
        },
      }),
      (err: unknown) => {
        assert.ok(err instanceof TypeError, String(err));
        assert.match(err.message, /server's handshake_first/);
        assert.match(err.message, /tls\.handshakeFirst: true/);
        return true;
      },
    );
  },
});

Deno.test({
  name:
    "connect() does mutual TLS with handshakeFirst; without a client certificate the server refuses it",
  fn: async () => {
    await using dir = await tempDir("nats-tls-test-");
    const certs = await makeCerts(dir.path);
    await using server = await startTlsServer(certs, {
      verify: true,
      handshakeFirst: true,
    });
    const nc = await connect({
      servers: tlsUrl(server.url),
      tls: {
        caFile: certs.caFile,
        certFile: certs.clientCert,
        keyFile: certs.clientKey,
        handshakeFirst: true,
      },
    });
    try {
      nc.subscribe("mtls.echo", {
        callback: (_e, m) => void m.respond(m.data),
      });
      const reply = await nc.request("mtls.echo", "hi", { timeout: 2_000 });
      assert.equal(reply.string(), "hi");
      assert.ok(encrypted(nc));
    } finally {
      await nc.close();
    }
    for (
      const [what, tls, expected] of [
        [
          "no client certificate",
          {},
          /CertificateRequired; the server requires a client certificate: set tls\.certFile, tls\.keyFile and tls\.handshakeFirst$/,
        ],
        [
          "a client certificate of another CA",
          { certFile: certs.strangerCert, keyFile: certs.strangerKey },
          /UnknownCA; the server refused the client certificate$/,
        ],
      ] as const
    ) {
      await assert.rejects(
        connect({
          servers: tlsUrl(server.url),
          reconnect: false,
          tls: { caFile: certs.caFile, handshakeFirst: true, ...tls },
        }),
        (err: unknown) => {
          assert.ok(err instanceof errors.ConnectionError, `${what}: ${err}`);
          assert.match(
            err.message,
            new RegExp(`^Cannot connect to "127\\.0\\.0\\.1:${server.port}": `),
          );
          assert.match(err.message, expected, `${what}: ${err.message}`);
          return true;
        },
      );
    }
  },
});

Deno.test("connect() refuses a tls.caFile that is not PEM or missing before dialling, naming it", async () => {
  await using dir = await tempDir("nats-tls-test-");
  const certs = await makeCerts(dir.path);
  await using server = await startTlsServer(certs);
  for (
    const [caFile, problem] of [
      [certs.notPemFile, /: it is not PEM/],
      [`${dir.path}/missing.pem`, /: the file does not exist$/],
    ] as const
  ) {
    await assert.rejects(
      connect({ servers: server.url, reconnect: false, tls: { caFile } }),
      (err: unknown) => {
        assert.ok(err instanceof NatsTlsError, String(err));
        assert.ok(err instanceof TypeError);
        assert.equal(err.setting, "caFile");
        assert.ok(
          err.message.startsWith(
            `Cannot use tls.caFile ${JSON.stringify(caFile)}`,
          ),
          err.message,
        );
        assert.match(err.message, problem);
        return true;
      },
    );
  }
});

Deno.test("connect() without handshakeFirst to a handshake_first server says the server may want the TLS handshake first", async () => {
  await using dir = await tempDir("nats-tls-test-");
  const certs = await makeCerts(dir.path);
  await using server = await startTlsServer(certs, {
    verify: true,
    handshakeFirst: true,
  });
  for (
    const options of [
      { servers: server.url },
      { servers: tlsUrl(server.url), tls: { caFile: certs.caFile } },
    ]
  ) {
    await assert.rejects(
      connect({ ...options, reconnect: false, timeout: 10_000 }),
      (err: unknown) => {
        assert.ok(err instanceof errors.ConnectionError, String(err));
        assert.equal(
          err.message,
          `Cannot connect to "127.0.0.1:${server.port}": connection closed by ` +
            "the server before it sent INFO; a server with TLS " +
            "handshake_first closes a connection that does not start with " +
            "the TLS handshake: set tls.handshakeFirst",
        );
        return true;
      },
    );
  }
});

Deno.test("connect() refuses a server certificate that has expired, naming the server", async () => {
  await using dir = await tempDir("nats-tls-test-");
  const certs = await makeCerts(dir.path);
  for (const handshakeFirst of [false, true]) {
    await using server = await startTlsServer(certs, {
      expired: true,
      handshakeFirst,
    });
    await assert.rejects(
      connect({
        servers: tlsUrl(server.url),
        reconnect: false,
        tls: { caFile: certs.caFile, handshakeFirst },
      }),
      (err: unknown) => {
        assert.ok(err instanceof errors.ConnectionError, String(err));
        assert.match(
          err.message,
          new RegExp(
            `^Cannot connect to "127\\.0\\.0\\.1:${server.port}": invalid peer certificate: certificate expired`,
          ),
        );
        return true;
      },
    );
  }
});
