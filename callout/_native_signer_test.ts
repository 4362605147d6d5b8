import assert from "node:assert/strict";
import { createAccount } from "@nats-io/nkeys";
import { nativeSigner, nativeVerify } from "./_native_signer.ts";

Deno.test("nativeSigner() makes the same ed25519 signature as the nkey, and a valid one", () => {
  const account = createAccount();
  const signer = nativeSigner(account.getSeed());
  const data = new TextEncoder().encode("header.payload");
  assert.equal(signer.getPublicKey(), account.getPublicKey());
  assert.deepEqual(signer.sign(data), account.sign(data));
  assert.ok(account.verify(data, signer.sign(data)));
});

Deno.test("nativeSigner() refuses a seed that is not one", () => {
  assert.throws(() => nativeSigner(new TextEncoder().encode("SAnotaseed")));
});

Deno.test("nativeVerify() accepts the nkey's signature and refuses another", () => {
  const account = createAccount();
  const data = new TextEncoder().encode("header.payload");
  const signature = account.sign(data);
  assert.equal(nativeVerify(account.getPublicKey(), data, signature), true);
  assert.equal(
    nativeVerify(createAccount().getPublicKey(), data, signature),
    false,
  );
  assert.throws(() => nativeVerify("NOTAKEY", data, signature), TypeError);
});
