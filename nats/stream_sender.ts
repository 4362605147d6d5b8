import type { MsgHdrs, NatsConnection } from "./core_types.ts";
import { headers as natsHeaders } from "@nats-io/nats-core";
import {
  encodeJson,
  type EndReason,
  ERROR_CODES,
  type ErrorKind,
  Header,
  MAX_CHUNK_BYTES,
  StreamHeader,
  type StreamName,
} from "../contracts/mod.ts";

/** Options of {@linkcode StreamSender}. */
export interface StreamSenderOptions {
  /** The request's `X-Harmony-Request-Id`, echoed on every message. */
  requestId: string;
  /**
   * Cut data at line ends (`\n`) where a line allows it: a message then
   * ends with a whole line unless one line alone is longer than 64 KiB.
   * For log data.
   *
   * @default {false}
   */
  lines?: boolean;
  /**
   * How long written data may wait to be joined with more into one
   * message, in milliseconds: small writes (a log line each) go out
   * together once 64 KiB are gathered or this much time has passed since
   * the first of them, whichever comes first. `0` sends each write at once.
   *
   * @default {10}
   */
  lingerMs?: number;
  /**
   * Backpressure: every time this many bytes have been published,
   * {@linkcode StreamSender.write} starts a flush (a PING/PONG with the
   * server) and, if the one started before is still pending, waits for it.
   * So no more than about twice this much is ever queued in the process,
   * however fast the source and however slow the network.
   *
   * @default {1048576} (1 MiB)
   */
  flushEveryBytes?: number;
}

/** Default of {@linkcode StreamSenderOptions.flushEveryBytes}. */
export const DEFAULT_FLUSH_EVERY_BYTES = 1_048_576;
/** Default of {@linkcode StreamSenderOptions.lingerMs}. */
export const DEFAULT_LINGER_MS = 10;

const EMPTY = new Uint8Array(0);
const NEWLINE = 0x0a;

/**
 * Thrown by {@linkcode StreamSender} when it is used after its terminal
 * message was sent.
 *
 * @example
 * ```ts ignore
 * import { StreamEndedError } from "@harmony/fleet/nats";
 * try {
 *   sender.write("stdout", bytes);
 * } catch (error) {
 *   if (error instanceof StreamEndedError) console.error(error.requestId);
 * }
 * ```
 */
export class StreamEndedError extends Error {
  /** The request whose stream had ended. */
  readonly requestId: string;

  /** Builds the error for `requestId`; `action` says what was attempted. */
  constructor(requestId: string, action: string) {
    super(
      `Cannot ${action} on the stream of request "${requestId}": it has ended`,
    );
    this.name = "StreamEndedError";
    this.requestId = requestId;
  }
}

/**
 * The sending side of one streamed reply (wire protocol v2): data messages
 * of 1 to 65,536 raw bytes with `X-Harmony-Stream`, then exactly one
 * terminal message — an end (empty body, `X-Harmony-End`, optionally
 * `X-Harmony-Exit-Code`) or an ADR-32 error reply. Every message carries
 * `X-Harmony-Request-Id` and `X-Harmony-Seq` (1, 2, 3, …, the terminal one
 * included).
 *
 * Writes are gathered into messages of up to 64 KiB (see
 * {@linkcode StreamSenderOptions.lingerMs}); data of one stream is never
 * reordered, and switching between `stdout` and `stderr` sends what was
 * gathered first. Memory stays bounded: {@linkcode StreamSender.write}
 * returns a promise to await when the connection needs to catch up.
 *
 * @example
 * ```ts ignore
 * import { StreamSender } from "@harmony/fleet/nats";
 * const sender = new StreamSender(nc, msg.reply!, { requestId: "r-1", lines: true });
 * for await (const chunk of source) await sender.write(chunk.stream, chunk.data);
 * sender.end("eof");
 * ```
 */
export class StreamSender {
  readonly #nc: NatsConnection;
  readonly #reply: string;
  readonly #requestId: string;
  readonly #lines: boolean;
  readonly #lingerMs: number;
  readonly #flushEvery: number;
  #seq = 0;
  #bytes = 0;
  #sinceFlush = 0;
  #confirmed = 0;
  #flushing?: Promise<void>;
  #flushError?: unknown;
  #ended = false;
  /** Gathered data of `#stream`, `#fill` bytes of it. */
  #buffer?: Uint8Array;
  #fill = 0;
  #stream: StreamName = "stdout";
  #timer?: ReturnType<typeof setTimeout>;

  /**
   * Binds a sender to the request whose reply subject is `reply`.
   *
   * @throws {TypeError} when `reply` or `options.requestId` is empty.
   * @throws {RangeError} when `lingerMs` is negative or `flushEveryBytes` not positive.
   */
  constructor(
    nc: NatsConnection,
    reply: string,
    options: StreamSenderOptions,
  ) {
    if (!reply) throw new TypeError("Cannot stream a reply: no reply subject");
    if (!options.requestId) {
      throw new TypeError(
        `Cannot stream a reply to "${reply}": no request id`,
      );
    }
    const lingerMs = options.lingerMs ?? DEFAULT_LINGER_MS;
    const flushEvery = options.flushEveryBytes ?? DEFAULT_FLUSH_EVERY_BYTES;
    if (!(lingerMs >= 0)) {
      throw new RangeError(
        `Invalid lingerMs ${lingerMs}: expected 0 or more milliseconds`,
      );
    }
    if (!(flushEvery > 0)) {
      throw new RangeError(
        `Invalid flushEveryBytes ${flushEvery}: expected a positive number of bytes`,
      );
    }
    this.#nc = nc;
    this.#reply = reply;
    this.#requestId = options.requestId;
    this.#lines = options.lines ?? false;
    this.#lingerMs = lingerMs;
    this.#flushEvery = flushEvery;
  }

  /** The request id echoed on every message. */
  get requestId(): string {
    return this.#requestId;
  }

  /** `X-Harmony-Seq` of the last message published (0 before the first). */
  get seq(): number {
    return this.#seq;
  }

  /** Data bytes published so far (gathered bytes not yet sent excluded). */
  get bytesSent(): number {
    return this.#bytes;
  }

  /**
   * Data bytes published but not yet confirmed by the server (a flush's
   * PONG): an upper bound of what this sender has queued in the process.
   * With backpressure heeded it stays under about twice
   * {@linkcode StreamSenderOptions.flushEveryBytes} plus 64 KiB.
   */
  get bytesUnconfirmed(): number {
    return this.#bytes - this.#confirmed;
  }

  /** Whether the terminal message has been sent. */
  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Queues `data` (not kept: it is copied) as output of `stream`,
   * publishing every full 64 KiB message at once. Returns `undefined`, or
   * a promise to await before writing more when the connection needs to
   * catch up (it rejects if the connection failed to flush).
   *
   * @throws {StreamEndedError} after the terminal message.
   */
  write(stream: StreamName, data: Uint8Array): Promise<void> | undefined {
    if (this.#ended) throw new StreamEndedError(this.#requestId, "write");
    if (this.#flushError !== undefined) throw this.#flushError;
    if (data.length === 0) return undefined;
    if (stream !== this.#stream) {
      this.#publishGathered();
      this.#stream = stream;
    }
    let offset = 0;
    while (offset < data.length) {
      const buffer = this.#buffer ??= new Uint8Array(MAX_CHUNK_BYTES);
      const take = Math.min(MAX_CHUNK_BYTES - this.#fill, data.length - offset);
      buffer.set(data.subarray(offset, offset + take), this.#fill);
      this.#fill += take;
      offset += take;
      if (this.#fill === MAX_CHUNK_BYTES) this.#publishFull();
    }
    if (this.#fill > 0) {
      if (this.#lingerMs === 0) this.#publishGathered();
      else this.#timer ??= setTimeout(() => this.#linger(), this.#lingerMs);
    }
    return this.#pace();
  }

  /** Publishes whatever has been gathered, now. */
  flush(): void {
    if (!this.#ended) this.#publishGathered();
  }

  /**
   * Sends what was gathered, then the end message: empty body,
   * `X-Harmony-End: <reason>` and, when given, `X-Harmony-Exit-Code`.
   *
   * @throws {StreamEndedError} when the stream has already ended.
   * @throws {RangeError} when `exitCode` is not a non-negative integer.
   */
  end(reason: EndReason, options: { exitCode?: number } = {}): void {
    if (this.#ended) throw new StreamEndedError(this.#requestId, "end");
    const { exitCode } = options;
    if (
      exitCode !== undefined &&
      !(Number.isSafeInteger(exitCode) && exitCode >= 0)
    ) {
      throw new RangeError(
        `Invalid exit code ${exitCode}: expected a non-negative integer`,
      );
    }
    this.#publishGathered();
    this.#ended = true;
    const headers = this.#headers();
    headers.set(StreamHeader.End, reason);
    if (exitCode !== undefined) {
      headers.set(StreamHeader.ExitCode, String(exitCode));
    }
    this.#nc.publish(this.#reply, EMPTY, { headers });
  }

  /**
   * Sends what was gathered, then an ADR-32 error reply as the terminal
   * message: `Nats-Service-Error-Code`, `Nats-Service-Error`, the stream
   * headers and a JSON body `{kind, message}`.
   *
   * @throws {StreamEndedError} when the stream has already ended.
   */
  fail(kind: ErrorKind, message: string): void {
    if (this.#ended) throw new StreamEndedError(this.#requestId, "fail");
    this.#publishGathered();
    this.#ended = true;
    const headers = this.#headers();
    headers.set(Header.ServiceErrorCode, String(ERROR_CODES[kind]));
    headers.set(Header.ServiceError, message.replace(/[\r\n]+/g, " "));
    this.#nc.publish(this.#reply, encodeJson({ kind, message }), { headers });
  }

  /**
   * Waits for the last flush started by backpressure, if any; never
   * rejects. For whoever must not leave it pending (tests, shutdown).
   */
  async settled(): Promise<void> {
    await this.#flushing;
  }

  #linger(): void {
    this.#timer = undefined;
    if (this.#ended || this.#fill === 0) return;
    try {
      this.#lingerPublish();
    } catch (error) {
      // A timer has no caller to throw to (and an uncaught error would end
      // the process): the next write() or end() throws it instead.
      this.#flushError ??= error;
    }
  }

  #lingerPublish(): void {
    if (this.#lines) {
      // Whole lines now; a trailing partial line waits one more linger for
      // the rest of it.
      const cut = this.#buffer!.lastIndexOf(NEWLINE, this.#fill - 1) + 1;
      if (cut > 0 && cut < this.#fill) {
        this.#publishCut(cut);
        this.#timer = setTimeout(() => this.#linger(), this.#lingerMs);
        return;
      }
    }
    this.#publishGathered();
  }

  #publishFull(): void {
    const cut = this.#lines
      ? this.#buffer!.lastIndexOf(NEWLINE, MAX_CHUNK_BYTES - 1) + 1
      : 0;
    if (cut > 0 && cut < MAX_CHUNK_BYTES) {
      this.#publishCut(cut);
      return;
    }
    const buffer = this.#buffer!;
    this.#buffer = undefined;
    this.#fill = 0;
    this.#publishData(buffer);
  }

  /** Publishes the first `cut` gathered bytes; the rest starts a new buffer. */
  #publishCut(cut: number): void {
    const buffer = this.#buffer!;
    const rest = this.#fill - cut;
    const next = new Uint8Array(MAX_CHUNK_BYTES);
    next.set(buffer.subarray(cut, this.#fill));
    this.#buffer = next;
    this.#fill = rest;
    this.#publishData(buffer.subarray(0, cut));
  }

  #publishGathered(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#fill === 0) return;
    // Never full here (write() sends full buffers at once). A copy: the buffer is kept for the next writes.
    const data = this.#buffer!.slice(0, this.#fill);
    this.#fill = 0;
    this.#publishData(data);
  }

  #publishData(data: Uint8Array): void {
    const headers = this.#headers();
    headers.set(StreamHeader.Stream, this.#stream);
    this.#nc.publish(this.#reply, data, { headers });
    this.#bytes += data.length;
    this.#sinceFlush += data.length;
  }

  #headers(): MsgHdrs {
    const headers = natsHeaders();
    headers.set(Header.RequestId, this.#requestId);
    headers.set(StreamHeader.Seq, String(++this.#seq));
    return headers;
  }

  #pace(): Promise<void> | undefined {
    if (this.#sinceFlush < this.#flushEvery) return undefined;
    this.#sinceFlush = 0;
    const previous = this.#flushing;
    const upTo = this.#bytes;
    const current: Promise<void> = this.#nc.flush().then(
      () => {
        this.#confirmed = Math.max(this.#confirmed, upTo);
      },
      (error) => {
        this.#flushError ??= error;
      },
    );
    this.#flushing = current;
    if (previous === undefined) return undefined;
    return previous.then(() => {
      if (this.#flushError !== undefined) throw this.#flushError;
    });
  }
}
