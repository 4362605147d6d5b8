import assert from "node:assert/strict";
import {
  checkTlsOptionContents,
  checkTlsSettings,
  NatsTlsError,
  tlsConnectionOptions,
} from "./tls.ts";
import { tempDir, writeTlsTestFiles } from "../testing/mod.ts";

Deno.test("tlsConnectionOptions() maps the settings to a tls option, and none to no tls option", async () => {
  await using dir = await tempDir("nats-tls-test-");
  const files = await writeTlsTestFiles(dir.path, { clients: ["device"] });
  const { certFile, keyFile } = files.clients.device;
  assert.deepEqual(await tlsConnectionOptions({}), {});
  assert.deepEqual(await tlsConnectionOptions({ handshakeFirst: false }), {});
  assert.deepEqual(await tlsConnectionOptions({ caFile: files.caFile }), {
    tls: { caFile: files.caFile },
  });
  assert.deepEqual(await tlsConnectionOptions({ handshakeFirst: true }), {
    tls: { handshakeFirst: true },
  });
  assert.deepEqual(
    await tlsConnectionOptions({
      caFile: files.caFile,
      certFile,
      keyFile,
      handshakeFirst: true,
    }),
    { tls: { caFile: files.caFile, certFile, keyFile, handshakeFirst: true } },
  );
});

Deno.test("checkTlsSettings() refuses half a client certificate and a client certificate without handshakeFirst, naming the settings as given", () => {
  const names = {
    caFile: "--tlsca",
    certFile: "--tlscert",
    keyFile: "--tlskey",
    handshakeFirst: "--tlsfirst",
  };
  for (
    const [files, setting, message] of [
      [
        { certFile: "c.pem", handshakeFirst: true },
        "keyFile",
        "Cannot use --tlscert: a client certificate needs its key: set --tlskey",
      ],
      [
        { keyFile: "k.pem", handshakeFirst: true },
        "certFile",
        "Cannot use --tlskey: a client key needs its certificate: set --tlscert",
      ],
      [
        { certFile: "c.pem", keyFile: "k.pem" },
        "handshakeFirst",
        "Cannot use --tlscert: a client certificate needs --tlsfirst: Deno cannot present a client certificate when it upgrades a plain connection to TLS (Deno.startTls), so mutual TLS needs the TLS handshake first, and handshake_first in the server's tls block",
      ],
    ] as const
  ) {
    assert.throws(() => checkTlsSettings(files, { names }), (error) => {
      assert.ok(error instanceof NatsTlsError, String(error));
      assert.ok(error instanceof TypeError);
      assert.equal(error.name, "NatsTlsError");
      assert.equal(error.setting, setting);
      assert.equal(error.message, message);
      return true;
    });
  }
  // The library's own names by default.
  assert.throws(
    () => checkTlsSettings({ certFile: "c.pem", keyFile: "k.pem" }),
    /^NatsTlsError: Cannot use tls\.certFile: a client certificate needs tls\.handshakeFirst: true: /,
  );
});

Deno.test("tlsConnectionOptions() refuses a file that is missing, a directory, empty, not PEM, or of the wrong kind, never quoting it", async () => {
  await using dir = await tempDir("nats-tls-test-");
  const files = await writeTlsTestFiles(dir.path, { clients: ["device"] });
  const { certFile, keyFile } = files.clients.device;
  const empty = `${dir.path}/empty.pem`;
  await Deno.writeTextFile(empty, "\n");
  const encrypted = `${dir.path}/encrypted-key.pem`;
  await Deno.writeTextFile(
    encrypted,
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\nTUlJQ\n-----END ENCRYPTED PRIVATE KEY-----\n",
  );
  const keyText = await Deno.readTextFile(keyFile);
  const keyBody = keyText.split("\n")[1];
  const ok = { certFile, keyFile, handshakeFirst: true };
  for (
    const [settings, setting, path, problem] of [
      [
        { caFile: `${dir.path}/missing.pem` },
        "caFile",
        `${dir.path}/missing.pem`,
        "the file does not exist",
      ],
      [{ caFile: dir.path }, "caFile", dir.path, /is a directory|cannot read/],
      [{ caFile: empty }, "caFile", empty, "the file is empty"],
      [
        { caFile: files.bad.notPemFile },
        "caFile",
        files.bad.notPemFile,
        /^it is not PEM: no "-----BEGIN CERTIFICATE-----" line/,
      ],
      [
        { caFile: keyFile },
        "caFile",
        keyFile,
        "it holds a private key, not a certificate",
      ],
      [
        { ...ok, certFile: keyFile },
        "certFile",
        keyFile,
        "it holds a private key, not a certificate",
      ],
      [
        { ...ok, keyFile: certFile },
        "keyFile",
        certFile,
        "it holds a certificate, not a private key",
      ],
      [
        { ...ok, keyFile: encrypted },
        "keyFile",
        encrypted,
        /^the private key is encrypted, which Deno cannot use/,
      ],
      [
        { ...ok, keyFile: files.bad.notPemFile },
        "keyFile",
        files.bad.notPemFile,
        /^it is not PEM/,
      ],
    ] as const
  ) {
    await assert.rejects(tlsConnectionOptions(settings), (error) => {
      assert.ok(error instanceof NatsTlsError, String(error));
      assert.equal(error.setting, setting);
      assert.equal(error.path, path);
      assert.match(error.problem, new RegExp(problem));
      assert.ok(
        error.message.startsWith(
          `Cannot use tls.${setting} ${JSON.stringify(path)}: `,
        ),
        error.message,
      );
      assert.ok(!error.message.includes(keyBody.slice(0, 16)), error.message);
      return true;
    });
  }
});

Deno.test("checkTlsOptionContents() checks tls files and inline PEM as connect() is given them", async () => {
  await using dir = await tempDir("nats-tls-test-");
  const files = await writeTlsTestFiles(dir.path);
  await checkTlsOptionContents(undefined);
  await checkTlsOptionContents(null);
  await checkTlsOptionContents({ caFile: files.caFile });
  await checkTlsOptionContents({ ca: await Deno.readTextFile(files.caFile) });
  await assert.rejects(
    checkTlsOptionContents({ caFile: files.bad.notPemFile }),
    (error) => {
      assert.ok(error instanceof NatsTlsError, String(error));
      assert.match(
        error.message,
        /^Cannot use tls\.caFile ".*": it is not PEM/,
      );
      return true;
    },
  );
  await assert.rejects(
    checkTlsOptionContents({ ca: "not a certificate" }),
    (error) => {
      assert.ok(error instanceof NatsTlsError, String(error));
      assert.match(error.message, /^Cannot use tls\.ca: it is not PEM/);
      return true;
    },
  );
});
