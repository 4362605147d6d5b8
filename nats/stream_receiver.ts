import type {
  Msg,
  MsgHdrs,
  NatsConnection,
  Subscription,
} from "./core_types.ts";
import {
  createInbox,
  errors as natsErrors,
  headers as natsHeaders,
} from "@nats-io/nats-core";
import {
  decodeCancelReply,
  decodeKeepaliveReply,
  deviceCommandSubject,
  encodeJson,
  Header,
  KEEPALIVE_INTERVAL_MS,
  parseStreamMessage,
  readErrorReply,
  type StreamChunk,
  type StreamEnd,
  Verb,
} from "../contracts/mod.ts";
import {
  StreamFailure,
  StreamReceiveError,
  StreamRemoteError,
} from "./stream_errors.ts";

/** Options of {@linkcode requestStream}. */
export interface StreamRequestOptions {
  /** The device the request is for: `cancel` and `keepalive` go to its subjects. */
  deviceId: string;
  /**
   * The request's `X-Harmony-Request-Id`: set on the request (over any in
   * `headers`) and named by `cancel` and `keepalive`.
   */
  requestId: string;
  /**
   * Other request headers to send (`X-Harmony-Deadline`,
   * `X-Harmony-Operator-Sub`).
   *
   * @default {undefined}
   */
  headers?: MsgHdrs;
  /**
   * A `follow` stream: bounded by keepalives, not by the deadline. A
   * `keepalive` is requested every `keepaliveIntervalMs`; an answer
   * `found: false`, "no responders" or no answer means the agent lost the
   * stream.
   *
   * @default {false}
   */
  follow?: boolean;
  /**
   * Unix epoch milliseconds: a stream that is not `follow` must have ended
   * by then (plus `graceMs`); else it fails with `timeout` (nothing came)
   * or `no_end`. Without it, a non-follow stream waits for ever.
   *
   * @default {undefined}
   */
  deadline?: number;
  /**
   * Allowance past `deadline` for the agent's `deadline` end message to
   * arrive, in milliseconds.
   *
   * @default {2000}
   */
  graceMs?: number;
  /**
   * Between two keepalives of a `follow` stream, in milliseconds.
   *
   * @default {5000}
   */
  keepaliveIntervalMs?: number;
  /**
   * How long a `keepalive` or `cancel` waits for its answer, in milliseconds.
   *
   * @default {2000}
   */
  controlTimeoutMs?: number;
  /**
   * Aborting it sends `cancel` at once and makes the iteration throw
   * `signal.reason`.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** Default of {@linkcode StreamRequestOptions.graceMs}. */
export const DEFAULT_STREAM_GRACE_MS = 2000;
/** Default of {@linkcode StreamRequestOptions.controlTimeoutMs}. */
export const DEFAULT_CONTROL_TIMEOUT_MS = 2000;

/**
 * Sends a request whose reply is a stream and returns its reader; nothing
 * is sent until the reader is iterated. See {@linkcode StreamReader}.
 *
 * @example
 * ```ts ignore
 * import { requestStream } from "@harmony/fleet/nats";
 * import { encodeJson } from "@harmony/fleet/contracts";
 * const reader = requestStream(nc, "device-commands.d1.logs",
 *   encodeJson({ verb: "logs", container: "web" }),
 *   { deviceId: "d1", requestId: crypto.randomUUID(), deadline: Date.now() + 5000 });
 * for await (const { stream, data } of reader) console.log(stream, data.length);
 * reader.end; // { reason: "eof" }
 * ```
 */
export function requestStream(
  nc: NatsConnection,
  subject: string,
  body: Uint8Array,
  options: StreamRequestOptions,
): StreamReader {
  return new StreamReader(nc, subject, body, options);
}

const COMPACT_AT = 1024;
const NO_RESPONDERS = 503;

/**
 * The receiving side of one streamed reply. Iterate it (once) for its data
 * chunks; the iteration ends at the terminal message (then
 * {@linkcode StreamReader.end} says why) or throws:
 *
 * - {@linkcode StreamRemoteError} for an error reply (before or after data);
 * - {@linkcode StreamReceiveError} for `no_responders`, `timeout`, `gap`
 *   (an `X-Harmony-Seq` skipped), `no_end` (a non-follow stream past its
 *   deadline plus grace), `lost` (a keepalive found no stream) or `closed`;
 * - `PayloadError` (from `contracts/`) for a message that is not a
 *   well-formed stream message;
 * - `signal.reason` when the signal aborts.
 *
 * Breaking out of the loop, aborting the signal or any failure but the
 * agent's own ends sends `cancel` for the stream (and waits up to
 * `controlTimeoutMs` for its answer). Received messages wait in memory
 * until consumed.
 *
 * @example
 * ```ts ignore
 * const reader = requestStream(nc, subject, body, { deviceId, requestId, follow: true });
 * for await (const chunk of reader) {
 *   if (enough) break; // sends cancel
 * }
 * ```
 */
export class StreamReader implements AsyncIterable<StreamChunk> {
  readonly #nc: NatsConnection;
  readonly #subject: string;
  readonly #body: Uint8Array;
  readonly #options: StreamRequestOptions;
  readonly #requestId: string;
  #started = false;
  #queue: (Msg | undefined)[] = [];
  #head = 0;
  #wake?: () => void;
  #received = 0;
  #arrived = 0;
  #bytes = 0;
  #expectedSeq = 1;
  #end?: StreamEnd;
  #done = false;
  #aborted?: { reason: unknown };
  #failure?: Error;
  #lost = false;
  #sub?: Subscription;
  #timer?: ReturnType<typeof setTimeout>;
  #keepaliveTimer?: ReturnType<typeof setTimeout>;
  #keepalive?: Promise<void>;
  #cancel?: Promise<boolean | undefined>;
  #onAbort?: () => void;

  /** Prefer {@linkcode requestStream}. */
  constructor(
    nc: NatsConnection,
    subject: string,
    body: Uint8Array,
    options: StreamRequestOptions,
  ) {
    if (!options.requestId) {
      throw new TypeError(
        `Cannot request a stream on "${subject}": no request id`,
      );
    }
    // Checks the device id before anything is sent.
    deviceCommandSubject(options.deviceId, Verb.Cancel);
    this.#nc = nc;
    this.#subject = subject;
    this.#body = body;
    this.#options = options;
    this.#requestId = options.requestId;
  }

  /** The request's `X-Harmony-Request-Id`. */
  get requestId(): string {
    return this.#requestId;
  }

  /** How the stream ended, once the iteration has reached its end message. */
  get end(): StreamEnd | undefined {
    return this.#end;
  }

  /** Data bytes received so far. */
  get bytesReceived(): number {
    return this.#bytes;
  }

  /**
   * Iterates the stream's data chunks; may be called once.
   *
   * @throws {TypeError} when called a second time.
   */
  [Symbol.asyncIterator](): AsyncGenerator<StreamChunk, StreamEnd, undefined> {
    if (this.#started) {
      throw new TypeError(
        `Cannot iterate the stream of request "${this.#requestId}" twice`,
      );
    }
    this.#started = true;
    return this.#run();
  }

  /**
   * Asks the agent to end the stream (`cancel`); the iteration then ends
   * with reason `cancelled` when the agent's end message arrives. Resolves
   * with the agent's `found`, or `undefined` when it did not answer.
   */
  cancel(): Promise<boolean | undefined> {
    if (!this.#started || this.#done) return Promise.resolve(undefined);
    return this.#sendCancel();
  }

  async *#run(): AsyncGenerator<StreamChunk, StreamEnd, undefined> {
    const { signal } = this.#options;
    signal?.throwIfAborted();
    let agentEnded = false;
    try {
      this.#open();
      while (true) {
        const msg = await this.#next();
        if (this.#received++ === 0 && isNoResponders(msg)) {
          agentEnded = true;
          throw this.#error(StreamFailure.NoResponders, "no responders", {
            cause: new natsErrors.NoRespondersError(this.#subject),
          });
        }
        const message = parseStreamMessage(
          (name) => msg.headers?.get(name),
          msg.data,
        );
        if (message.seq !== undefined) {
          if (message.seq !== this.#expectedSeq) {
            throw new StreamReceiveError({
              subject: this.#subject,
              requestId: this.#requestId,
              failure: StreamFailure.Gap,
              detail:
                `a message was lost (expected X-Harmony-Seq ${this.#expectedSeq}, got ${message.seq})`,
              expectedSeq: this.#expectedSeq,
              receivedSeq: message.seq,
            });
          }
          this.#expectedSeq++;
        }
        if (message.type === "data") {
          this.#bytes += message.data.length;
          yield { stream: message.stream, data: message.data };
        } else if (message.type === "end") {
          agentEnded = true;
          const end: StreamEnd = { reason: message.reason };
          if (message.exitCode !== undefined) end.exitCode = message.exitCode;
          this.#end = end;
          return end;
        } else {
          agentEnded = true;
          throw new StreamRemoteError({
            subject: this.#subject,
            requestId: this.#requestId,
            kind: message.kind,
            code: message.code,
            remoteMessage: message.message,
          });
        }
      }
    } finally {
      this.#close();
      if (!agentEnded && !this.#lost && !this.#nc.isClosed()) {
        await this.#sendCancel();
      }
      await this.#cancel;
      await this.#keepalive;
    }
  }

  #open(): void {
    const options = this.#options;
    const inbox = createInbox(inboxPrefix(this.#nc));
    this.#sub = this.#nc.subscribe(inbox, {
      callback: (error, msg) => {
        if (error) this.#fail(this.#closedError(error));
        else {
          this.#arrived++;
          this.#queue.push(msg);
          this.#wakeUp();
        }
      },
    });
    void this.#sub.closed.then((error) => {
      if (!this.#done) {
        this.#fail(this.#closedError(error ?? undefined));
      }
    });
    if (options.signal !== undefined) {
      const signal = options.signal;
      this.#onAbort = () => {
        this.#aborted = { reason: signal.reason };
        void this.#sendCancel();
        this.#wakeUp();
      };
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
    const headers = options.headers ?? natsHeaders();
    headers.set(Header.RequestId, this.#requestId);
    this.#nc.publish(this.#subject, this.#body, { reply: inbox, headers });
    if (options.follow) this.#scheduleKeepalive();
    else if (options.deadline !== undefined) {
      const grace = options.graceMs ?? DEFAULT_STREAM_GRACE_MS;
      const wait = Math.max(0, options.deadline + grace - Date.now());
      this.#timer = setTimeout(() => this.#deadlinePassed(grace), wait);
    }
  }

  #close(): void {
    this.#done = true;
    clearTimeout(this.#timer);
    clearTimeout(this.#keepaliveTimer);
    if (this.#onAbort !== undefined) {
      this.#options.signal?.removeEventListener("abort", this.#onAbort);
    }
    if (this.#sub !== undefined && !this.#sub.isClosed()) {
      try {
        this.#sub.unsubscribe();
      } catch {
        // the connection is closed: nothing more can arrive
      }
    }
    this.#queue = [];
    this.#head = 0;
  }

  async #next(): Promise<Msg> {
    while (true) {
      if (this.#aborted !== undefined) throw this.#aborted.reason;
      if (this.#head < this.#queue.length) {
        const msg = this.#queue[this.#head]!;
        this.#queue[this.#head++] = undefined;
        if (this.#head >= COMPACT_AT && this.#head * 2 >= this.#queue.length) {
          this.#queue = this.#queue.slice(this.#head);
          this.#head = 0;
        }
        return msg;
      }
      if (this.#failure !== undefined) throw this.#failure;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }

  #wakeUp(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    this.#wakeUp();
  }

  #deadlinePassed(graceMs: number): void {
    this.#timer = undefined;
    if (this.#done) return;
    this.#fail(
      this.#arrived === 0
        ? this.#error(
          StreamFailure.Timeout,
          `nothing came before the deadline (plus ${graceMs} ms)`,
        )
        : this.#error(
          StreamFailure.NoEnd,
          `the stream stopped without its end message (none by the deadline plus ${graceMs} ms)`,
        ),
    );
  }

  #scheduleKeepalive(): void {
    const interval = this.#options.keepaliveIntervalMs ?? KEEPALIVE_INTERVAL_MS;
    this.#keepaliveTimer = setTimeout(() => {
      this.#keepaliveTimer = undefined;
      this.#keepalive = this.#sendKeepalive();
    }, interval);
  }

  async #sendKeepalive(): Promise<void> {
    const timeout = this.#options.controlTimeoutMs ??
      DEFAULT_CONTROL_TIMEOUT_MS;
    let problem: string | undefined;
    let cause: unknown;
    try {
      const reply = await this.#nc.request(
        deviceCommandSubject(this.#options.deviceId, Verb.Keepalive),
        encodeJson({ verb: Verb.Keepalive, request_id: this.#requestId }),
        { timeout },
      );
      if (reply.headers?.get(Header.ServiceErrorCode)) {
        const error = readErrorReply((n) => reply.headers?.get(n), reply.data);
        problem =
          `its keepalive was answered ${error.kind} (${error.code}): ${error.message}`;
      } else if (!decodeKeepaliveReply(reply.data).found) {
        problem = "the agent has no such stream (keepalive: found false)";
      }
    } catch (error) {
      cause = error;
      problem = isNoRespondersError(error)
        ? "no agent answers for the device (keepalive: no responders)"
        : error instanceof natsErrors.TimeoutError
        ? `its keepalive got no answer within ${timeout} ms`
        : `its keepalive failed: ${(error as Error).message}`;
    }
    if (this.#done) return;
    if (problem === undefined) {
      this.#scheduleKeepalive();
      return;
    }
    this.#lost = true;
    this.#fail(
      this.#error(StreamFailure.Lost, `the agent lost the stream: ${problem}`, {
        cause,
      }),
    );
  }

  #sendCancel(): Promise<boolean | undefined> {
    return this.#cancel ??= (async () => {
      try {
        const reply = await this.#nc.request(
          deviceCommandSubject(this.#options.deviceId, Verb.Cancel),
          encodeJson({ verb: Verb.Cancel, request_id: this.#requestId }),
          {
            timeout: this.#options.controlTimeoutMs ??
              DEFAULT_CONTROL_TIMEOUT_MS,
          },
        );
        if (reply.headers?.get(Header.ServiceErrorCode)) return undefined;
        return decodeCancelReply(reply.data).found;
      } catch {
        return undefined;
      }
    })();
  }

  #closedError(cause: Error | undefined): StreamReceiveError {
    return this.#error(
      StreamFailure.Closed,
      `the connection closed before the stream's end${
        cause ? ` (${cause.message})` : ""
      }`,
      { cause },
    );
  }

  #error(
    failure: StreamFailure,
    detail: string,
    options: { cause?: unknown } = {},
  ): StreamReceiveError {
    return new StreamReceiveError({
      subject: this.#subject,
      requestId: this.#requestId,
      failure,
      detail,
      cause: options.cause,
    });
  }
}

function isNoResponders(msg: Msg): boolean {
  return msg.data.length === 0 && msg.headers?.code === NO_RESPONDERS;
}

function isNoRespondersError(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (e instanceof natsErrors.NoRespondersError) return true;
    if (e.cause === e) break;
  }
  return false;
}

function inboxPrefix(nc: NatsConnection): string | undefined {
  const prefix = (nc as { options?: { inboxPrefix?: unknown } }).options
    ?.inboxPrefix;
  return typeof prefix === "string" && prefix !== "" ? prefix : undefined;
}
