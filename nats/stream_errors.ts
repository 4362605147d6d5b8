import type { ErrorKind } from "../contracts/mod.ts";

/**
 * How receiving a stream failed, as {@linkcode StreamReceiveError.failure}
 * says.
 *
 * @example
 * ```ts
 * import { StreamFailure } from "@harmony/fleet/nats";
 * StreamFailure.Gap; // "gap"
 * ```
 */
export const StreamFailure = {
  /** NATS answered "no responders": nobody serves the subject. */
  NoResponders: "no_responders",
  /** Nothing at all came before the deadline (plus grace). */
  Timeout: "timeout",
  /** An `X-Harmony-Seq` was skipped: a message was lost. */
  Gap: "gap",
  /** Messages came, but not the terminal one, before the deadline (plus grace). */
  NoEnd: "no_end",
  /** A `keepalive` said the agent has no such stream, or got no answer. */
  Lost: "lost",
  /** The connection closed before the terminal message. */
  Closed: "closed",
} as const;

/** One of the values of {@linkcode StreamFailure}. */
export type StreamFailure = typeof StreamFailure[keyof typeof StreamFailure];

/** Options of {@linkcode StreamReceiveError}. */
export interface StreamReceiveErrorOptions extends ErrorOptions {
  /** The request's subject. */
  subject: string;
  /** The request's `X-Harmony-Request-Id`. */
  requestId: string;
  /** What went wrong. */
  failure: StreamFailure;
  /** What went wrong, in words (completes the message). */
  detail: string;
  /** For `gap`: the `X-Harmony-Seq` expected. */
  expectedSeq?: number;
  /** For `gap`: the `X-Harmony-Seq` received. */
  receivedSeq?: number;
}

/**
 * A stream could not be received to its end: nobody answered, nothing came
 * in time, a message was lost, it stopped without its end, the agent lost
 * it, or the connection closed. Never a silent end.
 *
 * @example
 * ```ts ignore
 * import { StreamReceiveError } from "@harmony/fleet/nats";
 * try {
 *   for await (const chunk of reader) console.log(chunk.data.length);
 * } catch (error) {
 *   if (error instanceof StreamReceiveError) console.error(error.failure);
 * }
 * ```
 */
export class StreamReceiveError extends Error {
  /** The request's subject. */
  readonly subject: string;
  /** The request's `X-Harmony-Request-Id`. */
  readonly requestId: string;
  /** What went wrong. */
  readonly failure: StreamFailure;
  /** What went wrong, in words (the end of the message). */
  readonly detail: string;
  /** For `gap`: the `X-Harmony-Seq` expected. */
  readonly expectedSeq?: number;
  /** For `gap`: the `X-Harmony-Seq` received. */
  readonly receivedSeq?: number;

  /** Builds the error; `options.detail` completes the message. */
  constructor(options: StreamReceiveErrorOptions) {
    super(
      `Cannot receive the stream of "${options.subject}" (request "${options.requestId}"): ${options.detail}`,
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.name = "StreamReceiveError";
    this.subject = options.subject;
    this.requestId = options.requestId;
    this.failure = options.failure;
    this.detail = options.detail;
    if (options.expectedSeq !== undefined) {
      this.expectedSeq = options.expectedSeq;
    }
    if (options.receivedSeq !== undefined) {
      this.receivedSeq = options.receivedSeq;
    }
  }
}

/** Options of {@linkcode StreamRemoteError}. */
export interface StreamRemoteErrorOptions {
  /** The request's subject. */
  subject: string;
  /** The request's `X-Harmony-Request-Id`. */
  requestId: string;
  /** The error kind answered. */
  kind: ErrorKind;
  /** The `Nats-Service-Error-Code` answered. */
  code: number;
  /** The agent's message. */
  remoteMessage: string;
}

/**
 * The agent ended the stream with an error reply (before any data or at
 * any point after).
 *
 * @example
 * ```ts ignore
 * import { StreamRemoteError } from "@harmony/fleet/nats";
 * try {
 *   for await (const chunk of reader) console.log(chunk.data.length);
 * } catch (error) {
 *   if (error instanceof StreamRemoteError) console.error(error.kind, error.code);
 * }
 * ```
 */
export class StreamRemoteError extends Error {
  /** The request's subject. */
  readonly subject: string;
  /** The request's `X-Harmony-Request-Id`. */
  readonly requestId: string;
  /** The error kind answered. */
  readonly kind: ErrorKind;
  /** The `Nats-Service-Error-Code` answered. */
  readonly code: number;
  /** The agent's message. */
  readonly remoteMessage: string;

  /** Builds the error from the reply's kind, code and message. */
  constructor(options: StreamRemoteErrorOptions) {
    super(
      `The stream of "${options.subject}" (request "${options.requestId}") ended with ${options.kind} (${options.code})${
        options.remoteMessage ? `: ${options.remoteMessage}` : ""
      }`,
    );
    this.name = "StreamRemoteError";
    this.subject = options.subject;
    this.requestId = options.requestId;
    this.kind = options.kind;
    this.code = options.code;
    this.remoteMessage = options.remoteMessage;
  }
}
