/**
 * How an HTTP/1.1 answer's body is delimited (RFC 9112, section 6.3), as
 * a decoder for its bytes: chunked, `Content-Length`, or up to the end of
 * the connection. Pure. Private to `podman/`.
 */
import { ChunkedDecoder } from "./_chunked.ts";
import { HttpFramingError } from "./_http_error.ts";
import type { ResponseHead } from "./_response_head.ts";

/** Turns the bytes after a head into the body's bytes. */
export interface BodyDecoder {
  /** Whether the body is complete; bytes pushed after that are ignored. */
  readonly done: boolean;
  /** Consumes bytes; returns the body bytes in them, as views (no copy). */
  push(bytes: Uint8Array): Uint8Array[];
  /** Declares the end of the connection; throws if the body was cut short. */
  end(): void;
}

/**
 * The decoder for the body of an answer with `head`: none for 1xx, 204 and
 * 304; chunked when that is the last transfer coding; read to the end of
 * the connection for another transfer coding; else `Content-Length`; else
 * to the end of the connection.
 *
 * @throws {HttpFramingError} for a `Content-Length` that is not a number,
 * or lists different numbers.
 */
export function bodyDecoder(head: ResponseHead): BodyDecoder {
  if (head.status < 200 || head.status === 204 || head.status === 304) {
    return new LengthDecoder(0);
  }
  const codings = head.headers.get("transfer-encoding");
  if (codings !== undefined) {
    const last = codings.split(",").at(-1)!.trim().toLowerCase();
    return last === "chunked" ? new ChunkedDecoder() : new CloseDecoder();
  }
  const length = head.headers.get("content-length");
  if (length === undefined) return new CloseDecoder();
  const values = new Set(length.split(",").map((value) => value.trim()));
  const [value] = values;
  if (values.size !== 1 || !/^\d{1,15}$/.test(value)) {
    throw new HttpFramingError(
      `a bad Content-Length ${JSON.stringify(length)}`,
    );
  }
  return new LengthDecoder(Number(value));
}

/** A body of a known length. */
class LengthDecoder implements BodyDecoder {
  readonly #length: number;
  #received = 0;

  constructor(length: number) {
    this.#length = length;
  }

  get done(): boolean {
    return this.#received === this.#length;
  }

  push(bytes: Uint8Array): Uint8Array[] {
    const take = Math.min(this.#length - this.#received, bytes.length);
    this.#received += take;
    return take === 0 ? [] : [bytes.subarray(0, take)];
  }

  end(): void {
    if (this.done) return;
    throw new HttpFramingError(
      `it ended after ${this.#received} of ${this.#length} bytes (Content-Length)`,
    );
  }
}

/** A body that ends with the connection. */
class CloseDecoder implements BodyDecoder {
  #done = false;

  get done(): boolean {
    return this.#done;
  }

  push(bytes: Uint8Array): Uint8Array[] {
    return this.#done || bytes.length === 0 ? [] : [bytes];
  }

  end(): void {
    this.#done = true;
  }
}
