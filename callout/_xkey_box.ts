// xkey encryption (ADR-26) as @nats-io/nkeys' CurveKP does it — "xkv1",
// a 24-byte nonce, then a NaCl box — but with the shared key of each peer
// computed once (box.before) instead of for every message: the curve
// multiplication is the slow part in pure JS, and a server's xkey does not
// change while it runs.
import nacl from "tweetnacl";
import { fromCurveSeed, fromPublic } from "@nats-io/nkeys";
import { base32Decode } from "./_base32.ts";

const VERSION = Uint8Array.from([120, 107, 118, 49]); // "xkv1"
const NONCE_LENGTH = 24;

/** Encrypts and decrypts for one xkey seed, caching each peer's shared key. */
export class XkeyBox {
  readonly #secret: Uint8Array;
  readonly #shared = new Map<string, Uint8Array>();

  /** Builds the box for a curve seed (`SX…`); throws for another seed. */
  constructor(seed: Uint8Array) {
    fromCurveSeed(seed); // checks it
    this.#secret = base32Decode(new TextDecoder().decode(seed), "curve seed")
      .slice(2, 34);
  }

  #sharedKey(peer: string): Uint8Array {
    let key = this.#shared.get(peer);
    if (!key) {
      if (!peer.startsWith("X")) throw new TypeError("Not a curve public key");
      fromPublic(peer); // checks prefix and CRC
      key = nacl.box.before(
        base32Decode(peer, "curve key").slice(1, 33),
        this.#secret,
      );
      if (this.#shared.size > 100) this.#shared.clear();
      this.#shared.set(peer, key);
    }
    return key;
  }

  /** Seals `message` for `peer` (an `X…` public key). */
  seal(message: Uint8Array, peer: string): Uint8Array {
    const nonce = nacl.randomBytes(NONCE_LENGTH);
    const sealed = nacl.box.after(message, nonce, this.#sharedKey(peer));
    const out = new Uint8Array(VERSION.length + NONCE_LENGTH + sealed.length);
    out.set(VERSION);
    out.set(nonce, VERSION.length);
    out.set(sealed, VERSION.length + NONCE_LENGTH);
    return out;
  }

  /** Opens a message `peer` sealed for us; `null` when it does not open. */
  open(message: Uint8Array, peer: string): Uint8Array | null {
    if (
      message.length <= VERSION.length + NONCE_LENGTH ||
      VERSION.some((byte, i) => message[i] !== byte)
    ) {
      return null;
    }
    const nonce = message.subarray(
      VERSION.length,
      VERSION.length + NONCE_LENGTH,
    );
    return nacl.box.open.after(
      message.subarray(VERSION.length + NONCE_LENGTH),
      nonce,
      this.#sharedKey(peer),
    );
  }
}

const boxes = new WeakMap<Uint8Array, XkeyBox>();

/** The box of `seed`, made once per seed array. */
export function xkeyBox(seed: Uint8Array): XkeyBox {
  let box = boxes.get(seed);
  if (!box) {
    box = new XkeyBox(seed);
    boxes.set(seed, box);
  }
  return box;
}
