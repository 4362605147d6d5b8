import {
  type CommandRequest,
  ERROR_CODES,
  type ErrorKind,
  type RequestOf,
  type StreamChunk,
  type StreamingVerb,
  type Verb,
} from "../contracts/mod.ts";

/**
 * The agent's open streams, as the `cancel` and `keepalive` handlers reach
 * them through {@linkcode CommandContext.streams}.
 */
export interface StreamControl {
  /**
   * Ends the open stream of request `requestId` with `cancelled` now (its
   * end message is published before this returns) and aborts its
   * handler's signal. Whether such a stream was open.
   */
  cancel(requestId: string): boolean;
  /**
   * Notes that the client of stream `requestId` is still there (a
   * `follow` stream without one for the keepalive timeout ends
   * `abandoned`). Whether such a stream is open.
   */
  keepalive(requestId: string): boolean;
}

/** What a verb handler gets for one request. */
export interface CommandContext<R extends CommandRequest = CommandRequest> {
  /** The device the agent answers for. */
  readonly deviceId: string;
  /** The verb of the subject (and of the body, when it names one). */
  readonly verb: Verb;
  /** The decoded, checked request body. */
  readonly request: R;
  /**
   * `X-Harmony-Request-Id`, when the request carried one; for a streaming
   * verb always set (the agent makes one up when it is missing, and sends
   * it on every message of the stream).
   */
  readonly requestId?: string;
  /** `X-Harmony-Operator-Sub`, when the request carried one. */
  readonly operatorSub?: string;
  /** `X-Harmony-Deadline` as Unix epoch milliseconds, when given. */
  readonly deadline?: number;
  /**
   * Aborted when the work is no longer wanted: the deadline passed, or,
   * for a stream, it ended (`cancel`, no keepalive, `limit_bytes`, the
   * deadline, the agent shutting down, an error). Long work (a podman
   * request, a process) must stop then.
   */
  readonly signal: AbortSignal;
  /** The agent's open streams (for `cancel` and `keepalive`). */
  readonly streams: StreamControl;
  /**
   * Adds fields to this command's `command` log line (e.g. `container`,
   * `argv`). Never secrets: not stdin, not env values.
   */
  annotate(fields: Record<string, unknown>): void;
}

/**
 * Handles one single-reply verb: returns the reply body, or a promise of
 * it, or throws. The body is any JSON-serialisable value, sent as JSON; or
 * a `Uint8Array`, sent as it is (already encoded JSON, e.g. a reply cached
 * by the handler); or `undefined`, an empty body. A
 * {@linkcode HandlerError} becomes an error reply of its kind; anything
 * else becomes an `internal` error reply.
 *
 * @example
 * ```ts
 * import type { CommandHandler } from "@harmony/fleet/agent";
 * const handler: CommandHandler = (ctx) => ({ device_id: ctx.deviceId });
 * ```
 */
// deno-lint-ignore no-explicit-any
export type CommandHandler<R extends CommandRequest = any> = (
  context: CommandContext<R>,
) => unknown;

/** What a streaming handler's iterator may return when it is done. */
export interface StreamResult {
  /** The process's exit code (`exec`), sent as `X-Harmony-Exit-Code`. */
  exitCode?: number;
}

/**
 * The output of a streaming verb: an async iterable of
 * `{ stream: "stdout" | "stderr", data }` chunks (any sizes: the agent cuts
 * and joins them into messages of at most 64 KiB). When it is done, the
 * stream ends `eof`; an async generator may `return { exitCode }` to send
 * an exit code with it. Throwing a {@linkcode HandlerError} ends the
 * stream with an error reply of its kind, anything else with `internal`.
 * When the stream ends early (cancel, limit, deadline, …) the context's
 * signal aborts and the iterator is closed (`return()`).
 */
export type StreamSource = AsyncIterable<
  StreamChunk,
  StreamResult | void | undefined
>;

/**
 * Handles one streaming verb (`logs`, `exec`): returns its
 * {@linkcode StreamSource}, or a promise of it (checks that fail before
 * any output, e.g. a missing container, throw a {@linkcode HandlerError}).
 *
 * @example
 * ```ts
 * import type { StreamHandler } from "@harmony/fleet/agent";
 * import type { LogsRequest } from "@harmony/fleet/contracts";
 * const logs: StreamHandler<LogsRequest> = async function* (ctx) {
 *   yield { stream: "stdout", data: new TextEncoder().encode(`${ctx.request.container}\n`) };
 * };
 * ```
 */
export type StreamHandler<R extends CommandRequest = CommandRequest> = (
  context: CommandContext<R>,
) => StreamSource | Promise<StreamSource>;

/**
 * The verb handlers of a command server, keyed by verb: a
 * {@linkcode StreamHandler} for streaming verbs, a
 * {@linkcode CommandHandler} for the others. A known verb without a
 * handler answers `unsupported`.
 *
 * @example
 * ```ts
 * import type { CommandHandlers } from "@harmony/fleet/agent";
 * const handlers: CommandHandlers = { ping: () => ({}) };
 * ```
 */
export type CommandHandlers = {
  [V in Verb]?: V extends StreamingVerb ? StreamHandler<RequestOf<V>>
    : CommandHandler<RequestOf<V>>;
};

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
