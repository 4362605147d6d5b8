import assert from "node:assert/strict";
import { tlsAdvice } from "./tls_advice.ts";

Deno.test("tlsAdvice() reads the TLS failure from the error or its causes, in terms of the CLI's flags", () => {
  const wrapped = new Error("Cannot connect to any of the NATS servers", {
    cause: new Error(
      'Cannot connect to "127.0.0.1:4222": TLS is required (tls:// URL or tls option) but the server does not offer it',
    ),
  });
  assert.match(
    tlsAdvice(wrapped) ?? "",
    /^the server offers no TLS: use nats:\/\//,
  );
  assert.match(
    tlsAdvice(
      new Error(
        "received fatal alert: UnknownCA; the server refused the client certificate",
      ),
    ) ?? "",
    /^the server refused the client certificate/,
  );
});

Deno.test("tlsAdvice() is undefined for a failure that is not TLS", () => {
  assert.equal(tlsAdvice(new Error("connection refused")), undefined);
  assert.equal(tlsAdvice("a string"), undefined);
  assert.equal(tlsAdvice(undefined), undefined);
});
