const BASE64 =
  /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Encodes bytes as base64 (RFC 4648, standard alphabet, with padding), as
 * `exec`'s `stdin` field carries them.
 *
 * @example
 * ```ts
 * import { encodeBase64 } from "@harmony/fleet/contracts";
 * encodeBase64(new TextEncoder().encode("hi\n")); // "aGkK"
 * ```
 */
export function encodeBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

/**
 * Decodes base64 (RFC 4648, standard alphabet, with padding, no
 * whitespace), or returns `undefined` when `text` is not exactly that.
 *
 * @example
 * ```ts
 * import { decodeBase64 } from "@harmony/fleet/contracts";
 * decodeBase64("aGkK"); // Uint8Array of "hi\n"
 * decodeBase64("aGkK\n"); // undefined
 * ```
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!BASE64.test(text)) return undefined;
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * Whether `text` is base64 (RFC 4648, standard alphabet, with padding, no
 * whitespace).
 *
 * @example
 * ```ts
 * import { isBase64 } from "@harmony/fleet/contracts";
 * isBase64("aGkK"); // true
 * isBase64("aGk"); // false
 * ```
 */
export function isBase64(text: string): boolean {
  return BASE64.test(text);
}

/**
 * How many bytes the well-formed base64 `text` decodes to, without
 * decoding it.
 *
 * @example
 * ```ts
 * import { base64DecodedLength } from "@harmony/fleet/contracts";
 * base64DecodedLength("aGkK"); // 3
 * ```
 */
export function base64DecodedLength(text: string): number {
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}
