/**
 * Decoding an HTTP/1.1 chunked body (RFC 9112, section 7.1) as it arrives:
 * chunk size lines with extensions, chunk data, the last chunk and the
 * trailer section, each of which may be split anywhere across reads. Pure.
 * Private to `podman/`.
 */
import { HttpFramingError } from "./_http_error.ts";

/** The longest chunk size line read (size and extensions). */
export const MAX_CHUNK_LINE_BYTES = 4096;
/** The longest trailer section read. */
export const MAX_TRAILER_BYTES = 64 * 1024;
/** Sizes above this are refused (1 TiB: far above any chunk, exact as a number). */
const MAX_CHUNK_SIZE = 2 ** 40;

const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;
const HTAB = 0x09;
const SEMICOLON = 0x3b;

const enum State {
  /** The first hex digit of a size. */
  SizeStart,
  /** More hex digits, or what ends them. */
  Size,
  /** Whitespace after the size, before `;` or CR. */
  SizeSpace,
  /** A chunk extension, up to CR. */
  Extension,
  /** The LF ending a size line. */
  SizeLf,
  /** Chunk data. */
  Data,
  /** The CR after chunk data. */
  DataCr,
  /** The LF after chunk data. */
  DataLf,
  /** The start of a trailer line, or the CR of the blank line. */
  TrailerStart,
  /** A trailer field line, up to CR. */
  Trailer,
  /** The LF ending a trailer line. */
  TrailerLf,
  /** The LF of the blank line that ends the body. */
  FinalLf,
  /** The body has ended. */
  Done,
}

/**
 * Incremental chunked-body decoder. `push()` each piece of the body as it
 * arrives; it returns the chunk data those bytes hold, as views into them
 * (no copy; empty pieces are left out). Once the blank line after the last
 * chunk has come, `done` is true and further bytes are ignored. Call
 * `end()` when the byte stream ends: it throws unless the body was whole.
 */
export class ChunkedDecoder {
  #state = State.SizeStart;
  /** Size of the chunk being read. */
  #size = 0;
  /** Data bytes of the chunk still to come. */
  #remaining = 0;
  /** Bytes of the current size line, or of the trailer section. */
  #lineBytes = 0;

  /** Whether the whole body (last chunk and trailers) has been read. */
  get done(): boolean {
    return this.#state === State.Done;
  }

  /**
   * Consumes `bytes`; returns the chunk data in them.
   *
   * @throws {HttpFramingError} for bytes that are not chunked framing, a
   * size line longer than {@linkcode MAX_CHUNK_LINE_BYTES}, or trailers
   * longer than {@linkcode MAX_TRAILER_BYTES}.
   */
  push(bytes: Uint8Array): Uint8Array[] {
    const data: Uint8Array[] = [];
    let offset = 0;
    while (offset < bytes.length && this.#state !== State.Done) {
      if (this.#state === State.Data) {
        const take = Math.min(this.#remaining, bytes.length - offset);
        data.push(bytes.subarray(offset, offset + take));
        offset += take;
        this.#remaining -= take;
        if (this.#remaining === 0) this.#state = State.DataCr;
        continue;
      }
      this.#step(bytes[offset++]);
    }
    return data;
  }

  /**
   * Declares the end of the byte stream.
   *
   * @throws {HttpFramingError} if the body stopped before its end, saying
   * where.
   */
  end(): void {
    if (this.#state === State.Done) return;
    throw new HttpFramingError(`it ended ${this.#where()}`);
  }

  #step(byte: number): void {
    switch (this.#state) {
      case State.SizeStart:
        this.#lineBytes = 1;
        this.#size = 0;
        if (hexValue(byte) < 0) {
          throw new HttpFramingError(
            `a chunk size line does not start with a hex digit: ${show(byte)}`,
          );
        }
        this.#addDigit(byte);
        this.#state = State.Size;
        return;
      case State.Size:
        this.#countLine();
        if (hexValue(byte) >= 0) return this.#addDigit(byte);
        return this.#afterSize(byte);
      case State.SizeSpace:
        this.#countLine();
        return this.#afterSize(byte);
      case State.Extension:
        this.#countLine();
        if (byte === CR) this.#state = State.SizeLf;
        else if (byte === LF) {
          throw new HttpFramingError("a bare LF ends a chunk size line");
        }
        return;
      case State.SizeLf:
        if (byte !== LF) {
          throw new HttpFramingError(
            `CR not followed by LF in a chunk size line: ${show(byte)}`,
          );
        }
        this.#remaining = this.#size;
        this.#lineBytes = 0;
        this.#state = this.#size === 0 ? State.TrailerStart : State.Data;
        return;
      case State.DataCr:
      case State.DataLf:
        if (byte !== (this.#state === State.DataCr ? CR : LF)) {
          throw new HttpFramingError(
            `a chunk's data is not followed by CRLF: ${show(byte)}`,
          );
        }
        this.#state = this.#state === State.DataCr
          ? State.DataLf
          : State.SizeStart;
        return;
      case State.TrailerStart:
      case State.Trailer:
        this.#countTrailer();
        if (byte === LF) {
          throw new HttpFramingError("a bare LF in the trailer section");
        }
        if (byte === CR) {
          this.#state = this.#state === State.TrailerStart
            ? State.FinalLf
            : State.TrailerLf;
        } else this.#state = State.Trailer;
        return;
      case State.TrailerLf:
        this.#countTrailer();
        if (byte !== LF) {
          throw new HttpFramingError(
            `CR not followed by LF in the trailer section: ${show(byte)}`,
          );
        }
        this.#state = State.TrailerStart;
        return;
      case State.FinalLf:
        if (byte !== LF) {
          throw new HttpFramingError(
            `CR not followed by LF at the end of the trailer section: ${
              show(byte)
            }`,
          );
        }
        this.#state = State.Done;
        return;
    }
  }

  #addDigit(byte: number): void {
    this.#size = this.#size * 16 + hexValue(byte);
    if (this.#size > MAX_CHUNK_SIZE) {
      throw new HttpFramingError(
        `the chunk size 0x${this.#size.toString(16)}… is too large`,
      );
    }
  }

  /** After the size's digits: whitespace, `;` (extensions) or CR. */
  #afterSize(byte: number): void {
    if (byte === SP || byte === HTAB) this.#state = State.SizeSpace;
    else if (byte === SEMICOLON) this.#state = State.Extension;
    else if (byte === CR) this.#state = State.SizeLf;
    else if (byte === LF) {
      throw new HttpFramingError("a bare LF ends a chunk size line");
    } else {
      throw new HttpFramingError(
        `unexpected ${show(byte)} after the chunk size`,
      );
    }
  }

  #countLine(): void {
    if (++this.#lineBytes > MAX_CHUNK_LINE_BYTES) {
      throw new HttpFramingError(
        `a chunk size line is longer than ${MAX_CHUNK_LINE_BYTES} bytes`,
      );
    }
  }

  #countTrailer(): void {
    if (++this.#lineBytes > MAX_TRAILER_BYTES) {
      throw new HttpFramingError(
        `the trailer section is longer than ${MAX_TRAILER_BYTES} bytes`,
      );
    }
  }

  #where(): string {
    switch (this.#state) {
      case State.SizeStart:
        return "before the last chunk";
      case State.Size:
      case State.SizeSpace:
      case State.Extension:
      case State.SizeLf:
        return "inside a chunk size line";
      case State.Data:
      case State.DataCr:
      case State.DataLf:
        return `inside a chunk (${
          this.#size - this.#remaining
        } of ${this.#size} data bytes)`;
      default:
        return "inside the trailer section";
    }
  }
}

function hexValue(byte: number): number {
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x41 + 10;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x61 + 10;
  return -1;
}

function show(byte: number): string {
  const hex = `byte 0x${byte.toString(16).padStart(2, "0")}`;
  return byte > 0x20 && byte < 0x7f
    ? `${hex} (${JSON.stringify(String.fromCharCode(byte))})`
    : hex;
}
