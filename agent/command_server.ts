import type {
  Msg,
  MsgHdrs,
  NatsConnection,
  Subscription,
} from "@nats-io/nats-core";
import { headers as natsHeaders, Match } from "@nats-io/nats-core";
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
import { pingHandler } from "./ping_handler.ts";
import { resolveCommand } from "./_request.ts";

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

/** Largest delay `setTimeout` accepts; longer deadlines get no timer. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const DEADLINE = Symbol("deadline");

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
  #handlers: CommandHandlers;
  #logger: Logger;
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
    this.#handlers = {
      ping: pingHandler({
        deviceId: options.deviceId,
        runtime: options.runtime,
        startedAt: options.startedAt,
      }),
      ...options.handlers,
    };
    this.#logger = options.logger ?? new Logger();
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
        this.#track(this.#handle(msg));
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
  }

  #track(handling: Promise<void>): void {
    const work = handling.catch((error) => {
      this.#logger.error("command_failed", { subject: this.#subject, error });
    });
    this.#inFlight.add(work);
    work.finally(() => this.#inFlight.delete(work));
  }

  async #handle(msg: Msg): Promise<void> {
    const started = performance.now();
    const requestId = header(msg.headers, Header.RequestId);
    const operatorSub = header(msg.headers, Header.OperatorSub);
    const fields = {
      subject: msg.subject,
      request_id: requestId,
      operator_sub: operatorSub,
    };
    if (!msg.reply) {
      this.#logger.warn("command_dropped", {
        ...fields,
        reason: "the message has no reply subject",
      });
      return;
    }
    const resolution = resolveCommand({
      deviceId: this.#deviceId,
      subject: msg.subject,
      data: msg.data,
      deadlineHeader: header(msg.headers, Header.Deadline),
      handlers: this.#handlers,
      now: Date.now(),
    });
    if (!resolution.ok) {
      this.#replyError(msg, requestId, resolution.kind, resolution.message);
      this.#logger.info("command", {
        ...fields,
        verb: resolution.verb,
        outcome: resolution.kind,
        message: resolution.message,
        duration_ms: elapsed(started),
      });
      return;
    }
    const { verb, request, handler, deadline } = resolution;
    const controller = new AbortController();
    let kind: ErrorKind | undefined;
    let message: string | undefined;
    let pending: Promise<unknown> | undefined;
    try {
      // Called synchronously: a handler that answers at once (ping) needs no
      // deadline timer, which keeps the common path as cheap as a raw reply.
      let result = handler({
        deviceId: this.#deviceId,
        verb,
        request,
        requestId,
        operatorSub,
        deadline,
        signal: controller.signal,
      });
      if (isPromiseLike(result)) {
        pending = Promise.resolve(result);
        result = await withinDeadline(pending, deadline, controller);
      }
      if (result === DEADLINE) {
        kind = ErrorKind.DeadlineExceeded;
        message =
          `Deadline of "${verb}" request passed before device "${this.#deviceId}" finished it`;
      } else {
        const body = result === undefined
          ? new Uint8Array(0)
          : encodeJson(result);
        this.#reply(msg, body, replyHeaders(requestId));
      }
    } catch (error) {
      if (error instanceof HandlerError) {
        kind = error.kind;
        message = error.message;
      } else {
        kind = ErrorKind.Internal;
        message =
          `Cannot run "${verb}" on device "${this.#deviceId}": internal error (${
            error instanceof Error ? error.name : typeof error
          }); see the agent's log`;
        this.#logger.error("handler_failed", {
          ...fields,
          verb,
          error,
          stack: error instanceof Error ? error.stack : undefined,
        });
      }
    }
    if (kind !== undefined) {
      this.#replyError(msg, requestId, kind, message!);
    }
    this.#logger.info("command", {
      ...fields,
      verb,
      outcome: kind ?? "ok",
      message,
      duration_ms: elapsed(started),
    });
    // A handler overtaken by its deadline still counts as in flight until it
    // settles, so drain() waits for it.
    if (pending !== undefined) await pending.then(() => {}, () => {});
  }

  #replyError(
    msg: Msg,
    requestId: string | undefined,
    kind: ErrorKind,
    message: string,
  ): void {
    const headers = replyHeaders(requestId) ?? natsHeaders();
    headers.set(Header.ServiceErrorCode, String(ERROR_CODES[kind]));
    headers.set(Header.ServiceError, message.replace(/[\r\n]+/g, " "));
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

function header(
  headers: MsgHdrs | undefined,
  name: string,
): string | undefined {
  if (headers === undefined) return undefined;
  // Exact spelling first: it is what our client sends, and the cheap lookup.
  if (headers.has(name)) return headers.get(name);
  if (!headers.has(name, Match.IgnoreCase)) return undefined;
  return headers.get(name, Match.IgnoreCase);
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

/** Settles with the handler's result, or DEADLINE once `deadline` passes (aborting the handler). */
async function withinDeadline(
  work: Promise<unknown>,
  deadline: number | undefined,
  controller: AbortController,
): Promise<unknown> {
  const remaining = deadline === undefined ? Infinity : deadline - Date.now();
  if (remaining >= MAX_TIMER_MS) return await work;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<typeof DEADLINE>((resolve) => {
        timer = setTimeout(() => {
          controller.abort(new Error("deadline exceeded"));
          resolve(DEADLINE);
        }, Math.max(0, remaining));
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function replyHeaders(requestId: string | undefined): MsgHdrs | undefined {
  if (requestId === undefined) return undefined;
  const headers = natsHeaders();
  headers.set(Header.RequestId, requestId);
  return headers;
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 1000) / 1000;
}
