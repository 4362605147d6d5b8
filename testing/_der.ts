// The few DER (ASN.1) encodings an X.509 certificate needs, for
// tls_certificates.ts. Private to testing/.

/** Bytes on an `ArrayBuffer`, as WebCrypto takes them. */
export type Bytes = Uint8Array<ArrayBuffer>;

/** Bytes of `parts`, one after the other. */
export function concat(...parts: Uint8Array[]): Bytes {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A tag-length-value: `tag`, the DER length of `content`, `content`. */
export function tlv(tag: number, ...content: Uint8Array[]): Bytes {
  const body = concat(...content);
  const n = body.length;
  let length: number[];
  if (n < 0x80) {
    length = [n];
  } else {
    const bytes: number[] = [];
    for (let rest = n; rest > 0; rest = Math.floor(rest / 256)) {
      bytes.unshift(rest % 256);
    }
    length = [0x80 | bytes.length, ...bytes];
  }
  return concat(new Uint8Array([tag, ...length]), body);
}

/** `SEQUENCE { … }`. */
export const sequence = (...items: Uint8Array[]): Bytes => tlv(0x30, ...items);

/** `SET { … }`. */
export const set = (...items: Uint8Array[]): Bytes => tlv(0x31, ...items);

/** `[n] EXPLICIT` (constructed, context-specific). */
export const explicit = (n: number, ...items: Uint8Array[]): Bytes =>
  tlv(0xa0 | n, ...items);

/** `[n] IMPLICIT` of a primitive value. */
export const implicit = (n: number, content: Uint8Array): Bytes =>
  tlv(0x80 | n, content);

/** `BOOLEAN`. */
export const boolean = (value: boolean): Bytes =>
  tlv(0x01, new Uint8Array([value ? 0xff : 0x00]));

/** `OCTET STRING`. */
export const octetString = (bytes: Uint8Array): Bytes => tlv(0x04, bytes);

/** `UTF8String`. */
export const utf8String = (text: string): Bytes =>
  tlv(0x0c, new TextEncoder().encode(text));

/** `IA5String` bytes of ASCII `text`. */
export const ascii = (text: string): Bytes => new TextEncoder().encode(text);

/** `INTEGER` of the unsigned big-endian `bytes`. */
export function unsignedInteger(bytes: Uint8Array): Bytes {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  return tlv(
    0x02,
    trimmed[0] & 0x80 ? concat(new Uint8Array([0]), trimmed) : trimmed,
  );
}

/** `INTEGER` of a small non-negative number. */
export const smallInteger = (value: number): Bytes =>
  unsignedInteger(new Uint8Array([value]));

/** `BIT STRING` of whole bytes (no unused bits). */
export const bitString = (bytes: Uint8Array): Bytes =>
  tlv(0x03, new Uint8Array([0]), bytes);

/**
 * `BIT STRING` of named bits (bit 0 is the first byte's high bit), trailing
 * zero bits dropped as DER wants, e.g. the bits of `KeyUsage`.
 */
export function namedBits(bits: readonly number[]): Bytes {
  const top = Math.max(...bits);
  const bytes = new Uint8Array(Math.floor(top / 8) + 1);
  for (const bit of bits) bytes[bit >> 3] |= 0x80 >> (bit & 7);
  return tlv(0x03, new Uint8Array([7 - (top & 7)]), bytes);
}

/** `OBJECT IDENTIFIER` of a dotted string such as `"2.5.4.3"`. */
export function oid(dotted: string): Bytes {
  const [first, second, ...rest] = dotted.split(".").map(Number);
  const bytes = [40 * first + second];
  for (const arc of rest) {
    const group = [arc & 0x7f];
    for (let value = Math.floor(arc / 128); value > 0; value >>= 7) {
      group.unshift(0x80 | (value & 0x7f));
    }
    bytes.push(...group);
  }
  return tlv(0x06, new Uint8Array(bytes));
}

/** `UTCTime` up to 2049, `GeneralizedTime` after, to the second, in UTC. */
export function time(date: Date): Bytes {
  const iso = date.toISOString(); // 2026-11-28T09:01:55.123Z
  const digits = iso.slice(0, 19).replace(/[-T:]/g, "") + "Z";
  const year = date.getUTCFullYear();
  return year < 2050
    ? tlv(0x17, ascii(digits.slice(2)))
    : tlv(0x18, ascii(digits));
}

/** The 4 or 16 bytes of an IPv4 or IPv6 address in text form. */
export function ipAddressBytes(address: string): Bytes {
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(address)) {
    return new Uint8Array(address.split(".").map(Number));
  }
  const [head, tail] = address.includes("::")
    ? address.split("::")
    : [address, undefined];
  const groups = (text: string | undefined) =>
    text ? text.split(":").map((g) => parseInt(g, 16)) : [];
  const left = groups(head);
  const right = groups(tail);
  const all = tail === undefined
    ? left
    : [...left, ...new Array(8 - left.length - right.length).fill(0), ...right];
  if (all.length !== 8 || all.some((g) => !(g >= 0 && g <= 0xffff))) {
    throw new TypeError(`Not an IP address: ${JSON.stringify(address)}`);
  }
  return new Uint8Array(all.flatMap((g) => [g >> 8, g & 0xff]));
}

/** PEM text of `der` with the label `label` (`CERTIFICATE`, `PRIVATE KEY`). */
export function pem(label: string, der: Uint8Array): string {
  let binary = "";
  for (const byte of der) binary += String.fromCharCode(byte);
  const lines = btoa(binary).match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${
    lines.join("\n")
  }\n-----END ${label}-----\n`;
}
