/**
 * The head of an HTTP/1.1 answer: finding its end in a byte stream and
 * parsing its status line and header fields. Pure. Private to `podman/`.
 */
import { concatBytes } from "./_bytes.ts";
import { HttpFramingError } from "./_http_error.ts";

/** An answer's status line and header fields. */
export interface ResponseHead {
  /** `HTTP/1.1` or `HTTP/1.0`. */
  version: string;
  /** The status code, e.g. `200`. */
  status: number;
  /** The reason phrase, e.g. `OK` (may be empty). */
  reason: string;
  /** Fields by lower-cased name; a repeated field's values joined by `, `. */
  headers: Map<string, string>;
}

/** The longest head read (status line and fields). */
export const MAX_HEAD_BYTES = 64 * 1024;

const CR = 0x0d;
const LF = 0x0a;
const STATUS_LINE = /^(HTTP\/1\.[01]) (\d{3})(?: (.*))?$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/**
 * Collects bytes until the blank line that ends a head. `push()` returns
 * `undefined` until then, and then the parsed head and a copy of the bytes
 * after it (the start of the body, or of the upgraded stream).
 */
export class ResponseHeadReader {
  #buffer: Uint8Array = new Uint8Array(0);

  /**
   * Consumes `bytes`.
   *
   * @throws {HttpFramingError} when the head grows beyond
   * {@linkcode MAX_HEAD_BYTES} or is not an HTTP/1.x head.
   */
  push(
    bytes: Uint8Array,
  ): { head: ResponseHead; rest: Uint8Array } | undefined {
    const from = Math.max(0, this.#buffer.length - 3);
    const buffer = this.#buffer.length === 0
      ? bytes
      : concatBytes([this.#buffer, bytes]);
    const end = findBlankLine(buffer, from);
    if (end < 0) {
      if (buffer.length > MAX_HEAD_BYTES) {
        throw new HttpFramingError(
          `its head is longer than ${MAX_HEAD_BYTES} bytes`,
        );
      }
      this.#buffer = buffer === bytes ? bytes.slice() : buffer;
      return undefined;
    }
    if (end > MAX_HEAD_BYTES) {
      throw new HttpFramingError(
        `its head is longer than ${MAX_HEAD_BYTES} bytes`,
      );
    }
    this.#buffer = new Uint8Array(0);
    const text = new TextDecoder().decode(buffer.subarray(0, end));
    return { head: parseResponseHead(text), rest: buffer.slice(end + 4) };
  }
}

/**
 * Parses a head: the status line, then `name: value` lines, separated by
 * CRLF, without the blank line that ends it.
 *
 * @throws {HttpFramingError} for a status line that is not HTTP/1.0 or
 * HTTP/1.1 with a 3-digit status, or a field line that is not
 * `token ":" value` (obsolete line folding included).
 */
export function parseResponseHead(text: string): ResponseHead {
  const lines = text.split("\r\n");
  const status = STATUS_LINE.exec(lines[0]);
  if (status === null) {
    throw new HttpFramingError(
      `not an HTTP/1.x answer: ${JSON.stringify(lines[0].slice(0, 200))}`,
    );
  }
  const headers = new Map<string, string>();
  for (const line of lines.slice(1)) {
    if (line === "") continue;
    const colon = line.indexOf(":");
    const name = line.slice(0, colon).toLowerCase();
    if (colon <= 0 || !TOKEN.test(name)) {
      const folded = line[0] === " " || line[0] === "\t";
      throw new HttpFramingError(
        `bad header line ${JSON.stringify(line.slice(0, 200))}${
          folded ? " (obsolete line folding)" : ""
        }`,
      );
    }
    const value = line.slice(colon + 1).trim();
    const before = headers.get(name);
    headers.set(name, before === undefined ? value : `${before}, ${value}`);
  }
  return {
    version: status[1],
    status: Number(status[2]),
    reason: status[3] ?? "",
    headers,
  };
}

/** Index of the first CRLFCRLF at or after `from`, or -1. */
function findBlankLine(bytes: Uint8Array, from: number): number {
  for (let i = bytes.indexOf(CR, from); i >= 0; i = bytes.indexOf(CR, i + 1)) {
    if (i + 3 >= bytes.length) return -1;
    if (bytes[i + 1] === LF && bytes[i + 2] === CR && bytes[i + 3] === LF) {
      return i;
    }
  }
  return -1;
}
