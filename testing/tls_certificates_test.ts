import assert from "node:assert/strict";
import { TestCertificateAuthority } from "./tls_certificates.ts";

/**
 * A TLS handshake between Deno.listenTls (serving `server`) and
 * Deno.connectTls to `hostname`, trusting `caCerts`; resolves with the
 * client's error, or undefined when it succeeded.
 */
async function handshake(
  server: { cert: string; key: string },
  hostname: string,
  caCerts: string[],
): Promise<Error | undefined> {
  using listener = Deno.listenTls({
    hostname: "127.0.0.1",
    port: 0,
    cert: server.cert,
    key: server.key,
  });
  const accepted = (async () => {
    const conn = await listener.accept();
    try {
      await conn.handshake();
    } catch {
      // The client refused: its error is the one that matters.
    } finally {
      conn.close();
    }
  })();
  let error: Error | undefined;
  try {
    const conn = await Deno.connectTls({
      hostname,
      port: listener.addr.port,
      caCerts,
    });
    try {
      await conn.handshake();
    } finally {
      conn.close();
    }
  } catch (e) {
    error = e as Error;
  }
  await accepted;
  return error;
}

Deno.test("TestCertificateAuthority.issue() makes a server certificate Deno's TLS accepts for its names", async () => {
  const ca = await TestCertificateAuthority.create("test-ca");
  const server = await ca.issue("server", {
    commonName: "server",
    ipAddresses: ["127.0.0.1"],
    dnsNames: ["localhost"],
  });
  assert.match(server.cert, /^-----BEGIN CERTIFICATE-----\n/);
  assert.match(server.key, /^-----BEGIN PRIVATE KEY-----\n/);
  assert.equal(await handshake(server, "127.0.0.1", [ca.cert]), undefined);
  assert.equal(await handshake(server, "localhost", [ca.cert]), undefined);
});

Deno.test("TestCertificateAuthority.issue() certificates are refused for another name, another CA, or after they expired", async () => {
  const ca = await TestCertificateAuthority.create("test-ca");
  const other = await TestCertificateAuthority.create("other-ca");
  const localhostOnly = await ca.issue("server", {
    commonName: "server",
    dnsNames: ["localhost"],
  });
  const day = 86_400_000;
  const expired = await ca.issue("server", {
    commonName: "server",
    ipAddresses: ["127.0.0.1"],
    notBefore: new Date(Date.now() - 2 * day),
    notAfter: new Date(Date.now() - day),
  });
  for (
    const [what, error, expected] of [
      [
        "wrong name",
        await handshake(localhostOnly, "127.0.0.1", [ca.cert]),
        /not valid for name "127\.0\.0\.1"/,
      ],
      [
        "other CA",
        await handshake(localhostOnly, "localhost", [other.cert]),
        /UnknownIssuer/,
      ],
      [
        "expired",
        await handshake(expired, "127.0.0.1", [ca.cert]),
        /certificate expired/,
      ],
    ] as const
  ) {
    assert.ok(error instanceof Error, what);
    assert.match(error.message, /invalid peer certificate/, what);
    assert.match(error.message, expected, `${what}: ${error.message}`);
  }
});
