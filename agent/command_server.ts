import type {
  Msg,
  MsgHdrs,
  NatsConnection,
  Subscription,
} from "@nats-io/nats-core";
import {
  headers as natsHeaders,
  PermissionViolationError,
} from "@nats-io/nats-core";
import {
  assertDeviceId,
  deviceCommandSubscription,
  encodeJson,
  EndReason,
  ERROR_CODES,
  ErrorKind,
  Header,
  isVerb,
  KEEPALIVE_TIMEOUT_MS,
  type Runtime,
  type StreamSpec,
  VERBS,
} from "../contracts/mod.ts";
import { StreamSender } from "../nats/mod.ts";
import type {
  CommandHandler,
  CommandHandlers,
  StreamControl,
  StreamHandler,
} from "./handler.ts";
import { Logger } from "./log.ts";
import { type CommandEntry, CommandLog } from "./command_log.ts";
import { defaultHandlers } from "./verbs/mod.ts";
import { readRequestHeaders, resolveCommand } from "./_request.ts";
import {
  DEADLINE,
  HandlerContext,
  withinDeadline,
} from "./_handler_context.ts";
import { handlerFailure } from "./_failure.ts";
import { OpenStream } from "./_open_stream.ts";

/** Options of {@linkcode CommandServer}. */
export interface CommandServerOptions {
  /** The device to answer for; commands arrive on `device-commands.<deviceId>.>`. */
  deviceId: string;
  /** The runtime reported by the default `ping` handler. */
  runtime: Runtime;
  /**
   * Verb handlers; they replace the defaults verb by verb (`undefined`
   * removes one: the verb then answers `unsupported`).
   *
   * @default {defaultHandlers({ deviceId, runtime, startedAt })} (`ping`,
   * `cancel`, `keepalive`; `logs` and container `exec` answer
   * `unsupported`, host `exec` `forbidden`: give `defaultHandlers` a podman
   * client and a policy for them, as `runAgent` does)
   */
  handlers?: CommandHandlers;
  /**
   * When the agent started, in `performance.now()` milliseconds, for `uptime_s`.
   *
   * @default {0} (the start of the process)
   */
  startedAt?: number;
  /**
   * Where events go (one JSON line each).
   *
   * @default {new Logger()} (stderr)
   */
  logger?: Logger;
  /**
   * Verbs whose successful commands are logged at debug only (and counted
   * in the `commands` summary); see {@linkcode CommandLog}.
   *
   * @default {["ping", "keepalive"]}
   */
  quietVerbs?: readonly string[];
  /**
   * Seconds between two `commands` summary lines; see {@linkcode CommandLog}.
   *
   * @default {60}
   */
  summaryIntervalS?: number;
  /**
   * How long a `follow` stream may go without a `keepalive` before it ends
   * `abandoned`, in milliseconds (the protocol says 15 s; tests shorten it).
   *
   * @default {15000}
   */
  keepaliveTimeoutMs?: number;
  /**
   * How long a stream's small writes may wait to be sent together, in
   * milliseconds (see `StreamSenderOptions.lingerMs`).
   *
   * @default {10}
   */
  streamLingerMs?: number;
}

/**
 * Thrown by {@linkcode CommandServer.start} when the subscription cannot be
 * made, e.g. the NATS user may not subscribe to the device's subject.
 *
 * @example
 * ```ts ignore
 * import { CommandServer, CommandServerError } from "@harmony/fleet/agent";
 * try {
 *   await server.start();
 * } catch (error) {
 *   if (error instanceof CommandServerError) console.error(error.subject);
 * }
 * ```
 */
export class CommandServerError extends Error {
  /** The subject the server tried to subscribe to. */
  readonly subject: string;

  /** Builds the error; `options.cause` carries the NATS error. */
  constructor(subject: string, problem: string, options?: ErrorOptions) {
    super(`Cannot serve commands on "${subject}": ${problem}`, options);
    this.name = "CommandServerError";
    this.subject = subject;
  }
}

const EMPTY = new Uint8Array(0);

/**
 * Answers the commands for one device: a plain subscription (no queue
 * group, so a duplicate agent is visible) on `device-commands.<id>.>`,
 * dispatching each request by the subject's verb to its handler. It knows
 * no verb itself: the registry (`contracts/verbs/`) says how to decode a
 * request and whether its reply is one message or a stream; the handlers
 * (`agent/verbs/`) do the work.
 *
 * - Requests are handled concurrently; malformed ones get `bad_request`,
 *   a throwing handler `internal`, a passed deadline `deadline_exceeded`,
 *   a verb without handler `unsupported`, each as an ADR-32 error reply
 *   (`Nats-Service-Error-Code`, `Nats-Service-Error`, JSON `{kind,
 *   message}`). `X-Harmony-Request-Id` is echoed on every reply.
 * - A streaming verb's handler returns an async iterable of chunks; the
 *   server owns the stream: it registers it by request id (making one up
 *   if the request had none), sends it ({@linkcode StreamSender}), and
 *   ends it exactly once — `eof` (with the exit code the handler returns),
 *   `cancelled` (a `cancel`, or {@linkcode CommandServer.drain}),
 *   `abandoned` (a `follow` stream without `keepalive` for
 *   `keepaliveTimeoutMs`), `limit` (the data cut exactly at the verb's
 *   limit), `deadline` (a stream that does not follow), or an error reply
 *   when the handler throws. The handler's signal aborts on each.
 * - `keepalive` and `cancel` may also come as plain publishes: acted on,
 *   not answered.
 *
 * @example
 * ```ts ignore
 * import { CommandServer } from "@harmony/fleet/agent";
 * await using server = new CommandServer(nc, { deviceId: "d1", runtime: "disabled" });
 * await server.start();
 * ```
 */
export class CommandServer implements AsyncDisposable {
  #nc: NatsConnection;
  #deviceId: string;
  #subject: string;
  #prefix: string;
  #handlers: CommandHandlers;
  #logger: Logger;
  #commandLog: CommandLog;
  #keepaliveTimeoutMs: number;
  #lingerMs?: number;
  #subscription?: Subscription;
  #subscriptionError?: Error;
  #inFlight = new Set<Promise<void>>();
  #streams = new Map<string, OpenStream>();
  /** The same open streams, by reply subject. */
  #byReply = new Map<string, OpenStream>();
  #statusWatch?: { stop(): void; done: Promise<void> };
  #control: StreamControl;
  #draining = false;
  #drained?: Promise<void>;

  /**
   * Builds the server; nothing is subscribed until {@linkcode CommandServer.start}.
   *
   * @throws {RangeError} when `keepaliveTimeoutMs` is not a positive number.
   */
  constructor(nc: NatsConnection, options: CommandServerOptions) {
    assertDeviceId(options.deviceId);
    const keepaliveTimeoutMs = options.keepaliveTimeoutMs ??
      KEEPALIVE_TIMEOUT_MS;
    if (!(keepaliveTimeoutMs > 0)) {
      throw new RangeError(
        `Invalid keepaliveTimeoutMs ${keepaliveTimeoutMs}: expected a positive number of milliseconds`,
      );
    }
    this.#nc = nc;
    this.#deviceId = options.deviceId;
    this.#subject = deviceCommandSubscription(options.deviceId);
    // "device-commands.<id>.": what every command subject starts with.
    this.#prefix = this.#subject.slice(0, -1);
    this.#handlers = {
      ...defaultHandlers({
        deviceId: options.deviceId,
        runtime: options.runtime,
        startedAt: options.startedAt,
      }),
      ...options.handlers,
    };
    this.#logger = options.logger ?? new Logger();
    this.#commandLog = new CommandLog({
      logger: this.#logger,
      quietVerbs: options.quietVerbs,
      summaryIntervalS: options.summaryIntervalS,
    });
    this.#keepaliveTimeoutMs = keepaliveTimeoutMs;
    this.#lingerMs = options.streamLingerMs;
    this.#control = {
      cancel: (requestId) =>
        this.#streams.get(requestId)?.stop(EndReason.Cancelled) ?? false,
      keepalive: (requestId) => {
        const stream = this.#streams.get(requestId);
        stream?.keepalive();
        return stream !== undefined && !stream.ended;
      },
    };
  }

  /** The subscription subject, `device-commands.<id>.>`. */
  get subject(): string {
    return this.#subject;
  }

  /** How many requests are being handled right now (open streams included). */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /** How many streams are open (registered and not yet ended). */
  get openStreams(): number {
    return this.#streams.size;
  }

  /**
   * Subscribes and waits until the server has confirmed it (a flush).
   *
   * @throws {CommandServerError} when the subscription is refused.
   */
  async start(): Promise<void> {
    if (this.#drained !== undefined) {
      throw new CommandServerError(this.#subject, "the server was drained");
    }
    if (this.#subscription !== undefined) return;
    this.#subscription = this.#nc.subscribe(this.#subject, {
      callback: (error, msg) => {
        if (error) {
          this.#subscriptionError = error;
          this.#logger.error("subscription_error", {
            subject: this.#subject,
            error,
          });
          return;
        }
        this.#onMessage(msg);
      },
    });
    this.#statusWatch = this.#watchRefusals();
    await this.#nc.flush();
    if (this.#subscriptionError !== undefined) {
      throw new CommandServerError(
        this.#subject,
        this.#subscriptionError.message,
        { cause: this.#subscriptionError },
      );
    }
  }

  /**
   * Stops: ends every open stream with `cancelled` (and any that starts
   * meanwhile), stops taking new requests (drains the subscription, so
   * requests already on their way are still answered), and waits until
   * every request in flight has been answered and every stream's handler
   * has let go. Idempotent.
   */
  drain(): Promise<void> {
    this.#drained ??= this.#drain();
    return this.#drained;
  }

  /** Same as {@linkcode CommandServer.drain}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.drain();
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    for (const stream of this.#streams.values()) {
      stream.stop(EndReason.Cancelled);
    }
    const subscription = this.#subscription;
    if (subscription !== undefined && !subscription.isClosed()) {
      try {
        await subscription.drain();
      } catch (error) {
        this.#logger.warn("subscription_drain_failed", {
          subject: this.#subject,
          error,
        });
        try {
          subscription.unsubscribe();
        } catch {
          // the connection is closed: nothing more can arrive
        }
      }
    }
    while (this.#inFlight.size > 0) {
      await Promise.all(this.#inFlight);
    }
    this.#statusWatch?.stop();
    await this.#statusWatch?.done;
    this.#commandLog.close();
  }

  /**
   * Watches the connection's errors for NATS refusing a stream's messages
   * (its `allow_responses` used up or expired: a stream longer than the
   * permission's hour): such a stream can deliver nothing more, not even
   * its end, so it is given up (see `OpenStream.lose`).
   */
  #watchRefusals(): { stop(): void; done: Promise<void> } {
    const status = this.#nc.status();
    const done = (async () => {
      for await (const event of status) {
        if (
          event.type !== "error" ||
          !(event.error instanceof PermissionViolationError) ||
          event.error.operation !== "publish"
        ) continue;
        this.#byReply.get(event.error.subject)?.lose(
          `NATS refused the stream's messages to "${event.error.subject}" (${event.error.message}); the device's response permission (allow_responses) is used up or expired`,
        );
      }
    })().catch((error) => {
      this.#logger.warn("status_watch_failed", { error });
    });
    return {
      stop: () => (status as { stop?: () => void }).stop?.(),
      done,
    };
  }

  #onMessage(msg: Msg): void {
    try {
      // Undefined when answered at once (ping): no promise, no tracking.
      const pending = this.#handle(msg);
      if (pending !== undefined) this.#track(pending);
    } catch (error) {
      this.#logger.error("command_failed", { subject: this.#subject, error });
    }
  }

  #track(handling: Promise<void>): void {
    const work = handling.catch((error) => {
      this.#logger.error("command_failed", { subject: this.#subject, error });
    }).finally(() => this.#inFlight.delete(work));
    this.#inFlight.add(work);
  }

  /**
   * Answers `msg`; returns a promise only when there is work left (an
   * async handler, a stream).
   */
  #handle(msg: Msg): Promise<void> | undefined {
    const started = performance.now();
    const { requestId, operatorSub, deadline: deadlineHeader } =
      readRequestHeaders(msg.headers);
    const resolution = resolveCommand({
      deviceId: this.#deviceId,
      subject: msg.subject,
      data: msg.data,
      deadlineHeader,
      handlers: this.#handlers,
      subjectPrefix: this.#prefix,
      now: Date.now(),
    });
    const spec = resolution.verb !== undefined && isVerb(resolution.verb)
      ? VERBS[resolution.verb]
      : undefined;
    const stream = spec?.stream as StreamSpec<unknown> | undefined;
    const entry: CommandEntry = {
      subject: msg.subject,
      verb: resolution.verb,
      // A stream's messages all carry a request id: one is made up if need be.
      requestId: stream !== undefined && msg.reply
        ? requestId ?? crypto.randomUUID()
        : requestId,
      operatorSub,
      outcome: "ok",
      started,
    };
    if (!msg.reply && spec?.publishable !== true) {
      this.#logger.warn("command_dropped", {
        subject: msg.subject,
        request_id: requestId,
        operator_sub: operatorSub,
        reason: "the message has no reply subject",
      });
      return undefined;
    }
    if (!resolution.ok) {
      this.#fail(msg, entry, resolution.kind, resolution.message, stream);
      return undefined;
    }
    const { verb, request, handler, deadline } = resolution;
    const context = new HandlerContext(this.#deviceId, {
      verb,
      request,
      requestId: entry.requestId,
      operatorSub,
      deadline,
      streams: this.#control,
    });
    if (stream !== undefined) {
      return this.#startStream(msg, entry, context, stream, handler);
    }
    let result: unknown;
    try {
      // Called synchronously: a handler that answers at once (ping) needs no
      // deadline timer and no promise, which keeps the common path as cheap
      // as a raw reply.
      result = (handler as CommandHandler)(context);
    } catch (error) {
      this.#handlerFailed(msg, entry, error, context);
      return undefined;
    }
    if (isPromiseLike(result)) {
      return this.#settle(msg, entry, Promise.resolve(result), context);
    }
    this.#succeed(msg, entry, result, context);
    return undefined;
  }

  #startStream(
    msg: Msg,
    entry: CommandEntry,
    context: HandlerContext,
    spec: StreamSpec<unknown>,
    handler: unknown,
  ): Promise<void> | undefined {
    const requestId = entry.requestId!;
    if (this.#streams.has(requestId)) {
      this.#fail(
        msg,
        entry,
        ErrorKind.BadRequest,
        `Bad "${entry.verb}" request for device "${this.#deviceId}": request id "${requestId}" already names an open stream`,
        spec,
      );
      return undefined;
    }
    const open = new OpenStream({
      nc: this.#nc,
      reply: msg.reply!,
      requestId,
      context,
      handler: handler as StreamHandler,
      follows: spec.follows(context.request),
      limitBytes: spec.limitBytes(context.request),
      lines: spec.lines,
      keepaliveTimeoutMs: this.#keepaliveTimeoutMs,
      lingerMs: this.#lingerMs,
      failure: { ...entry, deviceId: this.#deviceId },
      logger: this.#logger,
      onTerminal: (outcome) => {
        if (this.#streams.get(requestId) === open) {
          this.#streams.delete(requestId);
        }
        if (this.#byReply.get(msg.reply!) === open) {
          this.#byReply.delete(msg.reply!);
        }
        entry.outcome = outcome.outcome;
        entry.message = outcome.message;
        entry.bytes = outcome.bytes;
        entry.end = outcome.end;
        entry.exitCode = outcome.exitCode;
        entry.fields = context.fields;
        this.#commandLog.record(entry);
      },
    });
    this.#streams.set(requestId, open);
    this.#byReply.set(msg.reply!, open);
    // Shutting down: it ends at once, as the others did.
    if (this.#draining) open.stop(EndReason.Cancelled);
    return open.run();
  }

  async #settle(
    msg: Msg,
    entry: CommandEntry,
    pending: Promise<unknown>,
    context: HandlerContext,
  ): Promise<void> {
    try {
      const result = await withinDeadline(pending, context);
      if (result === DEADLINE) {
        this.#fail(
          msg,
          entry,
          ErrorKind.DeadlineExceeded,
          `Deadline of "${entry.verb}" request passed before device "${this.#deviceId}" finished it`,
        );
      } else {
        this.#succeed(msg, entry, result, context);
      }
    } catch (error) {
      this.#handlerFailed(msg, entry, error, context);
    }
    // A handler overtaken by its deadline still counts as in flight until it
    // settles, so drain() waits for it.
    await pending.then(() => {}, () => {});
  }

  #succeed(
    msg: Msg,
    entry: CommandEntry,
    result: unknown,
    context: HandlerContext,
  ): void {
    let body: Uint8Array;
    try {
      body = result === undefined
        ? EMPTY
        : result instanceof Uint8Array
        ? result
        : encodeJson(result);
    } catch (error) {
      this.#handlerFailed(msg, entry, error, context);
      return;
    }
    if (msg.reply) this.#reply(msg, body, replyHeaders(entry.requestId));
    if (context.fields !== undefined) entry.fields = context.fields;
    this.#commandLog.record(entry);
  }

  #handlerFailed(
    msg: Msg,
    entry: CommandEntry,
    error: unknown,
    context: HandlerContext,
  ): void {
    const { kind, message } = handlerFailure(
      error,
      { ...entry, deviceId: this.#deviceId },
      this.#logger,
    );
    if (context.fields !== undefined) entry.fields = context.fields;
    this.#fail(msg, entry, kind, message);
  }

  #fail(
    msg: Msg,
    entry: CommandEntry,
    kind: ErrorKind,
    message: string,
    stream?: StreamSpec<unknown>,
  ): void {
    if (msg.reply) {
      if (stream !== undefined) {
        // The first and last message of a stream: with its stream headers.
        try {
          new StreamSender(this.#nc, msg.reply, {
            requestId: entry.requestId!,
          }).fail(kind, message);
        } catch (error) {
          this.#logger.warn("reply_failed", {
            subject: msg.subject,
            reply: msg.reply,
            error,
          });
        }
      } else {
        this.#replyError(msg, entry.requestId, kind, message);
      }
    }
    entry.outcome = kind;
    entry.message = message;
    this.#commandLog.record(entry);
  }

  #replyError(
    msg: Msg,
    requestId: string | undefined,
    kind: ErrorKind,
    message: string,
  ): void {
    const headers = replyHeaders(requestId) ?? natsHeaders();
    headers.append(Header.ServiceErrorCode, String(ERROR_CODES[kind]));
    headers.append(Header.ServiceError, message.replace(/[\r\n]+/g, " "));
    this.#reply(msg, encodeJson({ kind, message }), headers);
  }

  #reply(msg: Msg, data: Uint8Array, headers: MsgHdrs | undefined): void {
    try {
      msg.respond(data, headers ? { headers } : undefined);
    } catch (error) {
      this.#logger.warn("reply_failed", {
        subject: msg.subject,
        reply: msg.reply,
        error,
      });
    }
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

function replyHeaders(requestId: string | undefined): MsgHdrs | undefined {
  if (requestId === undefined) return undefined;
  const headers = natsHeaders();
  headers.append(Header.RequestId, requestId);
  return headers;
}
