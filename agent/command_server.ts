import type {
  Msg,
  MsgHdrs,
  NatsConnection,
  Subscription,
} from "@nats-io/nats-core";
import { headers as natsHeaders } from "@nats-io/nats-core";
import {
  assertDeviceId,
  deviceCommandSubscription,
  encodeJson,
  ERROR_CODES,
  ErrorKind,
  Header,
  type Runtime,
} from "../contracts/mod.ts";
import { type CommandHandlers, HandlerError } from "./handler.ts";
import { Logger } from "./log.ts";
import { type CommandEntry, CommandLog } from "./command_log.ts";
import { pingHandler } from "./ping_handler.ts";
import { readRequestHeaders, resolveCommand } from "./_request.ts";
import {
  DEADLINE,
  HandlerContext,
  withinDeadline,
} from "./_handler_context.ts";

/** Options of {@linkcode CommandServer}. */
export interface CommandServerOptions {
  /** The device to answer for; commands arrive on `device-commands.<deviceId>.>`. */
  deviceId: string;
  /** The runtime reported by the default `ping` handler. */
  runtime: Runtime;
  /**
   * Verb handlers; they replace the defaults verb by verb.
   *
   * @default {{ ping: pingHandler({ deviceId, runtime, startedAt }) }}
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
   * @default {["ping"]}
   */
  quietVerbs?: readonly string[];
  /**
   * Seconds between two `commands` summary lines; see {@linkcode CommandLog}.
   *
   * @default {60}
   */
  summaryIntervalS?: number;
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
 * dispatching each request by the subject's verb to its handler. Requests
 * are handled concurrently; malformed ones get `bad_request`, a throwing
 * handler `internal`, a passed deadline `deadline_exceeded`, each as an
 * ADR-32 error reply (`Nats-Service-Error-Code`, `Nats-Service-Error`, JSON
 * `{kind, message}`). `X-Harmony-Request-Id` is echoed on every reply.
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
  #subscription?: Subscription;
  #subscriptionError?: Error;
  #inFlight = new Set<Promise<void>>();
  #drained?: Promise<void>;

  /** Builds the server; nothing is subscribed until {@linkcode CommandServer.start}. */
  constructor(nc: NatsConnection, options: CommandServerOptions) {
    assertDeviceId(options.deviceId);
    this.#nc = nc;
    this.#deviceId = options.deviceId;
    this.#subject = deviceCommandSubscription(options.deviceId);
    // "device-commands.<id>.": what every command subject starts with.
    this.#prefix = this.#subject.slice(0, -1);
    this.#handlers = {
      ping: pingHandler({
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
  }

  /** The subscription subject, `device-commands.<id>.>`. */
  get subject(): string {
    return this.#subject;
  }

  /** How many requests are being handled right now. */
  get inFlight(): number {
    return this.#inFlight.size;
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
   * Stops taking new requests (drains the subscription, so requests already
   * on their way are still answered) and waits until every request in
   * flight has been answered. Idempotent.
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
    this.#commandLog.close();
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
   * Answers `msg`; returns a promise only when the handler's result is one
   * (the rest of the work then happens in `#settle`).
   */
  #handle(msg: Msg): Promise<void> | undefined {
    const started = performance.now();
    const { requestId, operatorSub, deadline: deadlineHeader } =
      readRequestHeaders(msg.headers);
    if (!msg.reply) {
      this.#logger.warn("command_dropped", {
        subject: msg.subject,
        request_id: requestId,
        operator_sub: operatorSub,
        reason: "the message has no reply subject",
      });
      return undefined;
    }
    const resolution = resolveCommand({
      deviceId: this.#deviceId,
      subject: msg.subject,
      data: msg.data,
      deadlineHeader,
      handlers: this.#handlers,
      subjectPrefix: this.#prefix,
      now: Date.now(),
    });
    const entry: CommandEntry = {
      subject: msg.subject,
      verb: resolution.verb,
      requestId,
      operatorSub,
      outcome: "ok",
      started,
    };
    if (!resolution.ok) {
      this.#fail(msg, entry, resolution.kind, resolution.message);
      return undefined;
    }
    const { verb, request, handler, deadline } = resolution;
    const context = new HandlerContext(this.#deviceId, {
      verb,
      request,
      requestId,
      operatorSub,
      deadline,
    });
    let result: unknown;
    try {
      // Called synchronously: a handler that answers at once (ping) needs no
      // deadline timer and no promise, which keeps the common path as cheap
      // as a raw reply.
      result = handler(context);
    } catch (error) {
      this.#handlerFailed(msg, entry, error);
      return undefined;
    }
    if (isPromiseLike(result)) {
      return this.#settle(msg, entry, Promise.resolve(result), context);
    }
    this.#succeed(msg, entry, result);
    return undefined;
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
        this.#succeed(msg, entry, result);
      }
    } catch (error) {
      this.#handlerFailed(msg, entry, error);
    }
    // A handler overtaken by its deadline still counts as in flight until it
    // settles, so drain() waits for it.
    await pending.then(() => {}, () => {});
  }

  #succeed(msg: Msg, entry: CommandEntry, result: unknown): void {
    let body: Uint8Array;
    try {
      body = result === undefined
        ? EMPTY
        : result instanceof Uint8Array
        ? result
        : encodeJson(result);
    } catch (error) {
      this.#handlerFailed(msg, entry, error);
      return;
    }
    this.#reply(msg, body, replyHeaders(entry.requestId));
    this.#commandLog.record(entry);
  }

  #handlerFailed(msg: Msg, entry: CommandEntry, error: unknown): void {
    if (error instanceof HandlerError) {
      this.#fail(msg, entry, error.kind, error.message);
      return;
    }
    this.#logger.error("handler_failed", {
      subject: entry.subject,
      request_id: entry.requestId,
      operator_sub: entry.operatorSub,
      verb: entry.verb,
      error,
      stack: error instanceof Error ? error.stack : undefined,
    });
    this.#fail(
      msg,
      entry,
      ErrorKind.Internal,
      `Cannot run "${entry.verb}" on device "${this.#deviceId}": internal error (${
        error instanceof Error ? error.name : typeof error
      }); see the agent's log`,
    );
  }

  #fail(msg: Msg, entry: CommandEntry, kind: ErrorKind, message: string): void {
    this.#replyError(msg, entry.requestId, kind, message);
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
