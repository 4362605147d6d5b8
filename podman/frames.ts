/**
 * The 8-byte multiplexed stream framing of podman's (and Docker's) log and
 * exec streams for containers without a TTY: each frame is a header
 * `[stream, 0, 0, 0, size (big-endian uint32)]` followed by `size` bytes of
 * payload. Pure: no I/O.
 *
 * @module
 */
import { concatBytes } from "./_bytes.ts";

/** Which output a chunk came from. */
export type StreamName = "stdout" | "stderr";

/** A piece of a container's output, tagged with its stream. */
export interface StreamChunk {
  /** `stdout` or `stderr`. */
  stream: StreamName;
  /** The bytes, exactly as the process wrote them (binary-safe). */
  data: Uint8Array;
}

/**
 * A byte stream that is not (or no longer) valid multiplexed framing: a
 * header with an unknown stream, a stream that ends inside a frame, or a
 * system-error frame from the server.
 *
 * @example
 * ```ts
 * import { FrameDemuxer, FrameStreamError } from "./frames.ts";
 * const demuxer = new FrameDemuxer();
 * demuxer.push(Uint8Array.of(1, 0, 0));
 * try {
 *   demuxer.end();
 * } catch (error) {
 *   error instanceof FrameStreamError; // true: it stopped inside a header
 * }
 * ```
 */
export class FrameStreamError extends Error {
  /** Builds the error; `problem` completes "Cannot demultiplex the stream: …". */
  constructor(problem: string, options?: ErrorOptions) {
    super(`Cannot demultiplex the stream: ${problem}`, options);
    this.name = "FrameStreamError";
  }
}

const HEADER_SIZE = 8;
const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const SYSTEM_ERROR = 3;
/** Bytes of a system-error frame kept for the message. */
const SYSTEM_ERROR_KEEP = 4096;

/**
 * Incremental demultiplexer. `push()` each piece of the byte stream as it
 * arrives (frames may be split anywhere and many may share one piece); it
 * returns the payload bytes seen so far, as views into the pieces (no
 * copy). A frame's payload is handed out as it arrives, so a huge frame is
 * never held whole. Zero-length frames produce nothing. Call `end()` when
 * the byte stream ends: it throws if the stream stopped inside a frame.
 *
 * @example
 * ```ts
 * import { FrameDemuxer } from "./frames.ts";
 * const demuxer = new FrameDemuxer();
 * const chunks = demuxer.push(Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 3, 104, 105, 10));
 * demuxer.end();
 * chunks; // [{ stream: "stdout", data: Uint8Array [104, 105, 10] }]
 * ```
 */
export class FrameDemuxer {
  readonly #header = new Uint8Array(HEADER_SIZE);
  #headerFill = 0;
  /** Stream id of the frame being read; -1 between frames. */
  #stream = -1;
  #size = 0;
  #remaining = 0;
  #systemError: Uint8Array[] = [];

  /**
   * Consumes `bytes` and returns the chunks they complete.
   *
   * @throws {FrameStreamError} on a header that is not a stream frame, or a
   * system-error frame (stream 3), whose text the message carries.
   */
  push(bytes: Uint8Array): StreamChunk[] {
    const chunks: StreamChunk[] = [];
    let offset = 0;
    while (offset < bytes.length) {
      if (this.#stream < 0) {
        const take = Math.min(
          HEADER_SIZE - this.#headerFill,
          bytes.length - offset,
        );
        this.#header.set(
          bytes.subarray(offset, offset + take),
          this.#headerFill,
        );
        this.#headerFill += take;
        offset += take;
        if (this.#headerFill === HEADER_SIZE) this.#startFrame();
        continue;
      }
      const take = Math.min(this.#remaining, bytes.length - offset);
      const data = bytes.subarray(offset, offset + take);
      offset += take;
      this.#remaining -= take;
      if (this.#stream === SYSTEM_ERROR) this.#keepSystemError(data);
      else {chunks.push({
          stream: this.#stream === STDERR ? "stderr" : "stdout",
          data,
        });}
      if (this.#remaining === 0) this.#endFrame();
    }
    return chunks;
  }

  /**
   * Declares the end of the byte stream.
   *
   * @throws {FrameStreamError} if it ended inside a header or a payload.
   */
  end(): void {
    if (this.#stream >= 0) {
      throw new FrameStreamError(
        `it ended inside a ${streamLabel(this.#stream)} frame (${
          this.#size - this.#remaining
        } of ${this.#size} payload bytes)`,
      );
    }
    if (this.#headerFill > 0) {
      throw new FrameStreamError(
        `it ended inside a frame header (${this.#headerFill} of ${HEADER_SIZE} bytes)`,
      );
    }
  }

  #startFrame(): void {
    const header = this.#header;
    this.#headerFill = 0;
    const stream = header[0];
    if (stream > SYSTEM_ERROR) {
      throw new FrameStreamError(`unknown stream ${stream} in a frame header`);
    }
    if (header[1] !== 0 || header[2] !== 0 || header[3] !== 0) {
      throw new FrameStreamError(
        `bytes 1–3 of a frame header must be 0, got ${header[1]}, ${
          header[2]
        }, ${header[3]}`,
      );
    }
    const size = new DataView(header.buffer).getUint32(4);
    this.#stream = stream === STDIN ? STDOUT : stream;
    this.#size = size;
    this.#remaining = size;
    if (size === 0) this.#endFrame();
  }

  #keepSystemError(data: Uint8Array): void {
    const kept = this.#systemError.reduce((n, part) => n + part.length, 0);
    if (kept < SYSTEM_ERROR_KEEP) {
      this.#systemError.push(data.slice(0, SYSTEM_ERROR_KEEP - kept));
    }
  }

  #endFrame(): void {
    const stream = this.#stream;
    this.#stream = -1;
    if (stream !== SYSTEM_ERROR) return;
    const text = new TextDecoder().decode(concatBytes(this.#systemError));
    this.#systemError = [];
    throw new FrameStreamError(
      `the server reported an error: ${text.trim()}`,
    );
  }
}

/**
 * Demultiplexes an async byte source (e.g. a `fetch` response body) into
 * chunks; see {@linkcode FrameDemuxer}. Breaking out of the loop returns
 * (and so closes) the source.
 *
 * @throws {FrameStreamError} when the source is not valid framing or ends
 * inside a frame.
 * @example
 * ```ts ignore
 * import { demuxFrames } from "./frames.ts";
 * for await (const { stream, data } of demuxFrames(response.body!)) {
 *   (stream === "stdout" ? Deno.stdout : Deno.stderr).writeSync(data);
 * }
 * ```
 */
export async function* demuxFrames(
  source: AsyncIterable<Uint8Array>,
): AsyncGenerator<StreamChunk, void, undefined> {
  const demuxer = new FrameDemuxer();
  for await (const bytes of source) {
    yield* demuxer.push(bytes);
  }
  demuxer.end();
}

function streamLabel(stream: number): string {
  return stream === STDERR
    ? "stderr"
    : stream === SYSTEM_ERROR
    ? "system-error"
    : "stdout";
}
