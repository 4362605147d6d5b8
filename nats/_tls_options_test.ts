import assert from "node:assert/strict";
import { errors } from "@nats-io/nats-core";
import { checkTlsOptions, readTlsMaterial } from "./_tls_options.ts";
import { tempDir } from "../testing/mod.ts";

Deno.test("checkTlsOptions() accepts what can work", () => {
  checkTlsOptions(undefined);
  checkTlsOptions(null);
  checkTlsOptions({});
  checkTlsOptions({ caFile: "ca.pem" });
  checkTlsOptions({ ca: "PEM", handshakeFirst: true });
  checkTlsOptions({ certFile: "c", keyFile: "k", handshakeFirst: true });
  checkTlsOptions({ cert: "PEM", key: "PEM", handshakeFirst: true });
  checkTlsOptions({ ca: "", caFile: "ca.pem" });
});

Deno.test("checkTlsOptions() refuses a certificate without its key and the reverse", () => {
  for (
    const [tls, message] of [
      [{ certFile: "c", handshakeFirst: true }, /certificate needs its key/],
      [{ cert: "PEM", handshakeFirst: true }, /certificate needs its key/],
      [{ keyFile: "k", handshakeFirst: true }, /key needs its certificate/],
      [{ key: "PEM", handshakeFirst: true }, /key needs its certificate/],
    ] as const
  ) {
    assert.throws(() => checkTlsOptions(tls), (err: unknown) => {
      assert.ok(err instanceof TypeError, String(err));
      assert.match(err.message, /^Invalid tls option: /);
      assert.match(err.message, message);
      return true;
    });
  }
});

Deno.test("checkTlsOptions() refuses a value given inline and as a file", () => {
  for (
    const [tls, named] of [
      [{ ca: "PEM", caFile: "ca.pem" }, "tls.ca and tls.caFile"],
      [
        { cert: "P", certFile: "c", keyFile: "k", handshakeFirst: true },
        "tls.cert and tls.certFile",
      ],
      [
        { certFile: "c", key: "P", keyFile: "k", handshakeFirst: true },
        "tls.key and tls.keyFile",
      ],
    ] as const
  ) {
    assert.throws(() => checkTlsOptions(tls), (err: unknown) => {
      assert.ok(err instanceof TypeError, String(err));
      assert.ok(err.message.includes(`${named} are both set`), err.message);
      return true;
    });
  }
});

Deno.test("checkTlsOptions() says that a client certificate needs handshake_first and tls.handshakeFirst", () => {
  assert.throws(
    () => checkTlsOptions({ certFile: "c", keyFile: "k" }),
    (err: unknown) => {
      assert.ok(err instanceof TypeError, String(err));
      assert.match(err.message, /handshake_first/);
      assert.match(err.message, /tls\.handshakeFirst: true/);
      return true;
    },
  );
});

Deno.test("readTlsMaterial() reads the files and names one that cannot be read", async () => {
  await using dir = await tempDir("nats-tls-options-test-");
  await Deno.writeTextFile(`${dir.path}/ca.pem`, "CA PEM");
  assert.deepEqual(await readTlsMaterial({ caFile: `${dir.path}/ca.pem` }), {
    caCerts: ["CA PEM"],
    cert: undefined,
    key: undefined,
  });
  await assert.rejects(
    readTlsMaterial({ caFile: `${dir.path}/missing.pem` }),
    (err: unknown) => {
      assert.ok(err instanceof errors.ConnectionError, String(err));
      assert.match(err.message, /^Cannot read tls\.caFile ".*missing\.pem"/);
      return true;
    },
  );
});
