import {
  type CommandRequest,
  ERROR_CODES,
  type ErrorKind,
  type Verb,
} from "../contracts/mod.ts";

/** What a verb handler gets for one request. */
export interface CommandContext {
  /** The device the agent answers for. */
  deviceId: string;
  /** The verb of the subject (and of the body, when it names one). */
  verb: Verb;
  /** The decoded, checked request body. */
  request: CommandRequest;
  /** `X-Harmony-Request-Id`, when the request carried one. */
  requestId?: string;
  /** `X-Harmony-Operator-Sub`, when the request carried one. */
  operatorSub?: string;
  /** `X-Harmony-Deadline` as Unix epoch milliseconds, when given. */
  deadline?: number;
  /** Aborted when the deadline passes; long work should stop then. */
  signal: AbortSignal;
}

/**
 * Handles one verb: returns the reply body, or a promise of it, or throws.
 * The body is any JSON-serialisable value, sent as JSON; or a `Uint8Array`,
 * sent as it is (already encoded JSON, e.g. a reply cached by the handler);
 * or `undefined`, an empty body. A {@linkcode HandlerError} becomes an error
 * reply of its kind; anything else becomes an `internal` error reply.
 *
 * @example
 * ```ts
 * import type { CommandHandler } from "@harmony/fleet/agent";
 * const handler: CommandHandler = (ctx) => ({ device_id: ctx.deviceId });
 * ```
 */
export type CommandHandler = (context: CommandContext) => unknown;

/**
 * The verb handlers of a command server, keyed by verb. A known verb
 * without a handler answers `unsupported`.
 *
 * @example
 * ```ts
 * import type { CommandHandlers } from "@harmony/fleet/agent";
 * const handlers: CommandHandlers = { ping: () => ({}) };
 * ```
 */
export type CommandHandlers = Partial<Record<Verb, CommandHandler>>;

/**
 * Thrown by a handler to answer with a specific error kind, e.g.
 * `not_found` for a container that does not exist.
 *
 * @example
 * ```ts
 * import { type CommandHandler, HandlerError } from "@harmony/fleet/agent";
 * const logs: CommandHandler = () => {
 *   throw new HandlerError("not_found", 'No container "web"');
 * };
 * ```
 */
export class HandlerError extends Error {
  /** The error kind of the reply. */
  readonly kind: ErrorKind;

  /** Builds the error; `message` is sent to the caller as is. */
  constructor(kind: ErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "HandlerError";
    this.kind = kind;
  }

  /** The `Nats-Service-Error-Code` of {@linkcode HandlerError.kind}. */
  get code(): number {
    return ERROR_CODES[this.kind];
  }
}
