// An nkey KeyPair whose ed25519 signatures are made by the runtime's native
// crypto (node:crypto in Deno, synchronous as @nats-io/jwt needs) instead
// of the pure-JS one of @nats-io/nkeys: about 50–100 ms a signature on a
// loaded 2-core machine, which made 200 parallel logins miss nats-server's
// 2 s auth timeout. Same key, same deterministic signature.
import { Buffer } from "node:buffer";
import {
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  sign,
  verify,
} from "node:crypto";
import { fromPublic, fromSeed, type KeyPair } from "@nats-io/nkeys";
import { base32Decode } from "./_base32.ts";

// PKCS #8 wrapping of a raw 32-byte Ed25519 private key (RFC 8410).
const PKCS8_ED25519_PREFIX = Uint8Array.from([
  0x30,
  0x2e,
  0x02,
  0x01,
  0x00,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x04,
  0x22,
  0x04,
  0x20,
]);

// SPKI wrapping of a raw 32-byte Ed25519 public key (RFC 8410).
const SPKI_ED25519_PREFIX = Uint8Array.from([
  0x30,
  0x2a,
  0x30,
  0x05,
  0x06,
  0x03,
  0x2b,
  0x65,
  0x70,
  0x03,
  0x21,
  0x00,
]);

const signers = new WeakMap<Uint8Array, KeyPair>();
const publicKeys = new Map<string, KeyObject>();

/**
 * Whether `signature` is `publicKey`'s (an nkey public key, e.g. `N…`)
 * ed25519 signature of `data`, checked natively. Throws a TypeError for a
 * public key that is not an nkey.
 */
export function nativeVerify(
  publicKey: string,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  let key = publicKeys.get(publicKey);
  if (!key) {
    const decoded = base32Decode(publicKey, "nkey");
    if (decoded.length !== 35) throw new TypeError("Invalid nkey public key");
    // Checks the prefix and CRC; throws for a malformed key.
    fromPublic(publicKey);
    const der = new Uint8Array(SPKI_ED25519_PREFIX.length + 32);
    der.set(SPKI_ED25519_PREFIX);
    der.set(decoded.subarray(1, 33), SPKI_ED25519_PREFIX.length);
    key = createPublicKey({
      key: Buffer.from(der),
      format: "der",
      type: "spki",
    });
    if (publicKeys.size > 1000) publicKeys.clear();
    publicKeys.set(publicKey, key);
  }
  return verify(null, data, key, signature);
}

/**
 * A KeyPair for `seed` (an nkey seed, `S…`) that signs natively; made once
 * per seed array.
 */
export function nativeSigner(seed: Uint8Array): KeyPair {
  let signer = signers.get(seed);
  if (!signer) {
    signer = makeSigner(seed);
    signers.set(seed, signer);
  }
  return signer;
}

function makeSigner(seed: Uint8Array): KeyPair {
  const pure = fromSeed(seed); // checks the seed (prefix, CRC)
  const raw = base32Decode(new TextDecoder().decode(seed), "nkey seed")
    .subarray(2, 34);
  const der = new Uint8Array(PKCS8_ED25519_PREFIX.length + raw.length);
  der.set(PKCS8_ED25519_PREFIX);
  der.set(raw, PKCS8_ED25519_PREFIX.length);
  const key: KeyObject = createPrivateKey({
    key: Buffer.from(der),
    format: "der",
    type: "pkcs8",
  });
  raw.fill(0);
  der.fill(0);
  const publicKey = pure.getPublicKey();
  let privateKey: Uint8Array | undefined;
  return {
    getPublicKey: () => publicKey,
    // @nats-io/jwt calls it to check the key can sign; nkeys derives it
    // with a slow pure-JS curve operation each time, so derive it once.
    getPrivateKey: () => privateKey ??= pure.getPrivateKey(),
    getSeed: () => pure.getSeed(),
    sign: (input: Uint8Array) => new Uint8Array(sign(null, input, key)),
    verify: (input: Uint8Array, signature: Uint8Array) =>
      pure.verify(input, signature),
    clear: () => pure.clear(),
    seal: (input: Uint8Array, recipient: string, nonce?: Uint8Array) =>
      pure.seal(input, recipient, nonce),
    open: (input: Uint8Array, sender: string) => pure.open(input, sender),
  };
}
