import type { ErrorKind, PayloadError } from "../contracts/mod.ts";

/** Fields every {@linkcode CommandError} carries, given to its constructor. */
export interface CommandErrorOptions extends ErrorOptions {
  /** The device the command was for. */
  deviceId: string;
  /** The verb of the command, e.g. `"ping"`. */
  verb: string;
  /** The `X-Harmony-Request-Id` the request was sent with. */
  requestId: string;
}

/**
 * Base class of every error a {@linkcode FleetCommandsClient} command
 * rejects with (an invalid device id aside, which is an
 * `InvalidDeviceIdError`, a `TypeError`, thrown before anything is sent).
 *
 * @example
 * ```ts ignore
 * import { CommandError } from "@harmony/fleet/operator";
 * try {
 *   await client.ping("vm-device-00");
 * } catch (error) {
 *   if (error instanceof CommandError) console.error(error.deviceId, error.message);
 * }
 * ```
 */
export class CommandError extends Error {
  /** The device the command was for. */
  readonly deviceId: string;
  /** The verb of the command, e.g. `"ping"`. */
  readonly verb: string;
  /** The `X-Harmony-Request-Id` the request was sent with. */
  readonly requestId: string;

  /**
   * Builds the error; `message` is used as given, `options.cause` passed
   * through.
   */
  constructor(message: string, options: CommandErrorOptions) {
    super(message, options.cause === undefined ? undefined : options);
    this.name = "CommandError";
    this.deviceId = options.deviceId;
    this.verb = options.verb;
    this.requestId = options.requestId;
  }
}

/**
 * No agent is connected for the device: NATS answered the request with
 * "no responders" (status 503), at once rather than after the timeout.
 *
 * @example
 * ```ts ignore
 * import { DeviceOfflineError } from "@harmony/fleet/operator";
 * try {
 *   await client.ping("d-17");
 * } catch (error) {
 *   if (error instanceof DeviceOfflineError) console.log(`${error.deviceId} is offline`);
 * }
 * ```
 */
export class DeviceOfflineError extends CommandError {
  /** Builds the error; `options.cause` is the NATS no-responders error. */
  constructor(options: CommandErrorOptions) {
    super(
      `Cannot ${options.verb} device "${options.deviceId}": no responders (no agent connected for it)`,
      options,
    );
    this.name = "DeviceOfflineError";
  }
}

/** Options of {@linkcode CommandTimeoutError}. */
export interface CommandTimeoutErrorOptions extends CommandErrorOptions {
  /** How long the client waited for the reply, in milliseconds. */
  timeoutMs: number;
}

/**
 * An agent took the request (or may have) but no reply came within the
 * timeout.
 *
 * @example
 * ```ts ignore
 * import { CommandTimeoutError } from "@harmony/fleet/operator";
 * try {
 *   await client.ping("d-17", { timeoutMs: 500 });
 * } catch (error) {
 *   if (error instanceof CommandTimeoutError) console.log(error.timeoutMs); // 500
 * }
 * ```
 */
export class CommandTimeoutError extends CommandError {
  /** How long the client waited for the reply, in milliseconds. */
  readonly timeoutMs: number;

  /** Builds the error; `options.cause` is the NATS timeout error. */
  constructor(options: CommandTimeoutErrorOptions) {
    super(
      `Cannot ${options.verb} device "${options.deviceId}": no reply within ${options.timeoutMs} ms`,
      options,
    );
    this.name = "CommandTimeoutError";
    this.timeoutMs = options.timeoutMs;
  }
}

/** Options of {@linkcode BadReplyError}. */
export interface BadReplyErrorOptions extends CommandErrorOptions {
  /** What was wrong with the reply. */
  cause: PayloadError;
}

/**
 * A reply came but it is not a well-formed reply for the verb (not JSON,
 * wrong shape, or from another device than the one asked). `cause` is the
 * `PayloadError` saying which field was wrong.
 *
 * @example
 * ```ts ignore
 * import { BadReplyError } from "@harmony/fleet/operator";
 * try {
 *   await client.ping("d-17");
 * } catch (error) {
 *   if (error instanceof BadReplyError) console.log(error.cause.message);
 * }
 * ```
 */
export class BadReplyError extends CommandError {
  /** What was wrong with the reply. */
  declare readonly cause: PayloadError;

  /** Builds the error around the `PayloadError` in `options.cause`. */
  constructor(options: BadReplyErrorOptions) {
    super(
      `Cannot ${options.verb} device "${options.deviceId}": bad reply: ${options.cause.message}`,
      options,
    );
    this.name = "BadReplyError";
  }
}

/** Options of {@linkcode RemoteCommandError}. */
export interface RemoteCommandErrorOptions extends CommandErrorOptions {
  /** The error kind the agent answered with. */
  kind: ErrorKind;
  /** The `Nats-Service-Error-Code` the agent answered with. */
  code: number;
  /** The agent's message (body `message`, else the `Nats-Service-Error` header). */
  remoteMessage: string;
}

/**
 * The agent answered with an error reply (`Nats-Service-Error-Code`
 * header, `{"kind", "message"}` body).
 *
 * @example
 * ```ts ignore
 * import { RemoteCommandError } from "@harmony/fleet/operator";
 * try {
 *   await client.ping("d-17");
 * } catch (error) {
 *   if (error instanceof RemoteCommandError) console.log(error.kind, error.code);
 * }
 * ```
 */
export class RemoteCommandError extends CommandError {
  /** The error kind the agent answered with. */
  readonly kind: ErrorKind;
  /** The `Nats-Service-Error-Code` the agent answered with, e.g. `400`. */
  readonly code: number;
  /** The agent's own message. */
  readonly remoteMessage: string;

  /** Builds the error from the reply's kind, code and message. */
  constructor(options: RemoteCommandErrorOptions) {
    super(
      `Cannot ${options.verb} device "${options.deviceId}": the agent answered ${options.kind} (${options.code})${
        options.remoteMessage ? `: ${options.remoteMessage}` : ""
      }`,
      options,
    );
    this.name = "RemoteCommandError";
    this.kind = options.kind;
    this.code = options.code;
    this.remoteMessage = options.remoteMessage;
  }
}

/**
 * The NATS connection raised something other than "no responders" or a
 * timeout (closed or draining connection, permission violation, …). `cause`
 * is what the connection raised.
 *
 * @example
 * ```ts ignore
 * import { NatsTransportError } from "@harmony/fleet/operator";
 * try {
 *   await client.ping("d-17");
 * } catch (error) {
 *   if (error instanceof NatsTransportError) console.log(error.cause);
 * }
 * ```
 */
export class NatsTransportError extends CommandError {
  /** Builds the error around what the connection raised (`options.cause`). */
  constructor(options: CommandErrorOptions) {
    super(
      `Cannot ${options.verb} device "${options.deviceId}": ${
        describeCause(options.cause)
      }`,
      options,
    );
    this.name = "NatsTransportError";
  }
}

function describeCause(cause: unknown): string {
  if (cause instanceof Error) {
    // nats-core wraps the interesting error (e.g. a permission violation)
    // in a RequestError whose cause holds it.
    const inner = cause.cause;
    if (inner instanceof Error && inner.message !== cause.message) {
      return `${cause.message}: ${inner.message}`;
    }
    return cause.message;
  }
  return String(cause);
}

/**
 * How a stream was interrupted ({@linkcode StreamInterruptedError.reason}):
 * `gap` (a message was lost: an `X-Harmony-Seq` skipped), `no_end` (it
 * stopped without its end message by the deadline), `lost` (a keepalive
 * found the agent no longer has it, or got no answer), `closed` (the
 * connection closed before its end).
 */
export type StreamInterruption = "gap" | "no_end" | "lost" | "closed";

/** Options of {@linkcode StreamInterruptedError}. */
export interface StreamInterruptedErrorOptions extends CommandErrorOptions {
  /** How the stream was interrupted. */
  reason: StreamInterruption;
  /** What happened, in words (the end of the message). */
  detail: string;
  /** For `gap`: the `X-Harmony-Seq` expected. */
  expectedSeq?: number;
  /** For `gap`: the `X-Harmony-Seq` received. */
  receivedSeq?: number;
}

/**
 * A stream (`logs`, `exec`) began but did not reach its end: a message
 * was lost, it stopped without its end message, the agent lost it, or the
 * connection closed. Never reported as a normal end: whatever was
 * received before may be incomplete.
 *
 * @example
 * ```ts ignore
 * import { StreamInterruptedError } from "@harmony/fleet/operator";
 * try {
 *   for await (const chunk of stream) Deno.stdout.writeSync(chunk.data);
 * } catch (error) {
 *   if (error instanceof StreamInterruptedError) console.error(error.reason);
 * }
 * ```
 */
export class StreamInterruptedError extends CommandError {
  /** How the stream was interrupted. */
  readonly reason: StreamInterruption;
  /** For `gap`: the `X-Harmony-Seq` expected. */
  readonly expectedSeq?: number;
  /** For `gap`: the `X-Harmony-Seq` received. */
  readonly receivedSeq?: number;

  /** Builds the error; `options.cause` is the receiving side's error. */
  constructor(options: StreamInterruptedErrorOptions) {
    super(
      `Cannot ${options.verb} device "${options.deviceId}": the stream was interrupted: ${options.detail}`,
      options,
    );
    this.name = "StreamInterruptedError";
    this.reason = options.reason;
    if (options.expectedSeq !== undefined) {
      this.expectedSeq = options.expectedSeq;
    }
    if (options.receivedSeq !== undefined) {
      this.receivedSeq = options.receivedSeq;
    }
  }
}

/**
 * How the agent ended a stream early ({@linkcode StreamEndedEarlyError.reason}):
 * `deadline` (the request's deadline passed: the agent stopped the work),
 * `cancelled` (a `cancel` this client did not send, or the agent is
 * stopping), `abandoned` (the agent had no `keepalive` in time).
 */
export type EarlyEnd = "deadline" | "cancelled" | "abandoned";

/** The output of an `exec`: its stdout and stderr bytes. */
export interface ExecOutput {
  /** Everything the command wrote to stdout. */
  stdout: Uint8Array;
  /** Everything the command wrote to stderr. */
  stderr: Uint8Array;
}

/** Options of {@linkcode StreamEndedEarlyError}. */
export interface StreamEndedEarlyErrorOptions extends CommandErrorOptions {
  /** The end message's `X-Harmony-End`. */
  reason: EarlyEnd;
  /** The command's timeout in milliseconds (its deadline was sent + this). */
  timeoutMs: number;
  /**
   * For `exec()`: what arrived before the end.
   *
   * @default {undefined}
   */
  output?: ExecOutput;
}

/**
 * The agent ended a stream (`logs`, `exec`) in order but before the work
 * was done: its deadline passed (`deadline`: the agent stopped the
 * command, so it has no exit code), a `cancel` came from elsewhere or the
 * agent is stopping (`cancelled`), or it had no keepalive in time
 * (`abandoned`). Never reported as a normal end: the output may be
 * incomplete. Told apart from {@linkcode CommandTimeoutError} (no reply
 * came at all) and {@linkcode StreamInterruptedError} (messages lost).
 * A `cancel` sent by this stream's own `cancel()` ends it normally.
 *
 * @example
 * ```ts ignore
 * import { StreamEndedEarlyError } from "@harmony/fleet/operator";
 * try {
 *   await client.exec("d1", { container: "web", cmd: ["sleep", "3600"], timeoutMs: 1000 });
 * } catch (error) {
 *   if (error instanceof StreamEndedEarlyError) console.log(error.reason); // "deadline"
 * }
 * ```
 */
export class StreamEndedEarlyError extends CommandError {
  /** The end message's `X-Harmony-End`. */
  readonly reason: EarlyEnd;
  /** The command's timeout in milliseconds. */
  readonly timeoutMs: number;
  /** For `exec()`: the output that arrived before the end. */
  readonly output?: ExecOutput;

  /** Builds the error from the end's reason. */
  constructor(options: StreamEndedEarlyErrorOptions) {
    super(
      `Cannot ${options.verb} device "${options.deviceId}": the agent ended the stream "${options.reason}" before it was done: ${
        EARLY_END_DETAIL[options.reason](options.timeoutMs)
      }`,
      options,
    );
    this.name = "StreamEndedEarlyError";
    this.reason = options.reason;
    this.timeoutMs = options.timeoutMs;
    this.output = options.output;
  }
}

const EARLY_END_DETAIL: Readonly<Record<EarlyEnd, (ms: number) => string>> = {
  deadline: (ms) =>
    `its deadline passed (timeout ${ms} ms) and the agent stopped the work`,
  cancelled: () =>
    "a cancel this client did not send arrived, or the agent is stopping",
  abandoned: () => "the agent had no keepalive from this client in time",
};
