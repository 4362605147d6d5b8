// RFC 4648 base32 without padding, as nkeys encode seeds and public keys.
// Private to callout/: the native signer and the xkey box both need the raw
// key bytes, which @nats-io/nkeys does not hand out.
const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Decodes nkey base32 text; `what` names the key in the error. */
export function base32Decode(text: string, what: string): Uint8Array {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of text) {
    const index = BASE32.indexOf(char);
    if (index < 0) throw new TypeError(`Invalid ${what} encoding`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
}
