import {
  errors as natsErrors,
  headers as natsHeaders,
} from "@nats-io/nats-core";
import {
  deviceCommandSubject,
  encodeJson,
  EndReason,
  Header,
  PayloadError,
  type RequestOf,
  type StreamChunk,
  type StreamEnd,
  StreamHeader,
  type StreamingVerb,
  Verb,
  VERBS,
} from "../contracts/mod.ts";
import {
  type NatsConnection,
  requestStream,
  StreamFailure,
  type StreamReader,
  StreamReceiveError,
  StreamRemoteError,
} from "../nats/mod.ts";
import {
  BadReplyError,
  type CommandError,
  type CommandErrorOptions,
  CommandTimeoutError,
  DeviceOfflineError,
  type EarlyEnd,
  NatsTransportError,
  RemoteCommandError,
  StreamEndedEarlyError,
  StreamInterruptedError,
} from "./errors.ts";
import { checkTimeoutMs } from "./timeout.ts";

/** Per-call options of the `FleetCommandsClient` streaming commands. */
export interface StreamCommandOptions {
  /**
   * The request's deadline is now + this, in milliseconds: a stream that
   * does not follow must end by then (it ends `deadline` on the agent);
   * a `follow` stream is bounded by keepalives instead. Checked and
   * rounded as the client's `timeoutMs`.
   *
   * @default {the client's `timeoutMs`}
   */
  timeoutMs?: number;
  /**
   * Aborting it sends `cancel` at once; the loop then throws
   * `signal.reason`.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** What {@linkcode openCommandStream} sends: a streaming verb's request to one device. */
export interface StreamCommand<V extends StreamingVerb = StreamingVerb> {
  /** The device; checked before anything is sent. */
  deviceId: string;
  /** `logs` or `exec`. */
  verb: V;
  /** The request body; checked with the verb's decoder before anything is sent. */
  request: RequestOf<V>;
}

/** Options of {@linkcode openCommandStream}. */
export interface CommandStreamOptions {
  /**
   * Milliseconds: the request's deadline is now + this (`X-Harmony-Deadline`).
   * A stream that does not follow must have ended by then (plus
   * `graceMs`), else it fails with {@linkcode CommandTimeoutError} (nothing
   * came) or {@linkcode StreamInterruptedError} (`no_end`). A `follow`
   * stream is bounded by keepalives instead: the deadline only turns away
   * a request that reaches the agent after it. Checked and rounded as the
   * client's `timeoutMs`.
   */
  timeoutMs: number;
  /**
   * Sent as `X-Harmony-Operator-Sub`, for the agent's log.
   *
   * @default {undefined} (not sent)
   */
  operatorSub?: string;
  /**
   * Aborting it sends `cancel` at once and makes the iteration throw
   * `signal.reason`.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Allowance past the deadline for the agent's `deadline` end to arrive,
   * in milliseconds.
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
}

/**
 * Sends a streaming verb's request (`logs`, `exec`) and returns the
 * {@linkcode CommandStream} of its reply; the request is sent when the
 * stream is first iterated. This is the one path `FleetCommandsClient`'s
 * streaming commands take; it is exported for commands built on it.
 *
 * @throws {InvalidDeviceIdError} (a `TypeError`) for an invalid device id.
 * @throws {TypeError} when `command.request` is not a well-formed request
 *   of the verb (the message names the field, as the agent's
 *   `bad_request` would) or the verb does not stream.
 * @throws {RangeError} for a bad `timeoutMs`.
 * @example
 * ```ts ignore
 * import { openCommandStream } from "@harmony/fleet/operator";
 * const stream = openCommandStream(nc, {
 *   deviceId: "d1", verb: "logs", request: { verb: "logs", container: "web", tail: 10 },
 * }, { timeoutMs: 5000 });
 * for await (const { stream: name, data } of stream) console.log(name, data.length);
 * stream.end; // { reason: "eof" }
 * ```
 */
export function openCommandStream<V extends StreamingVerb>(
  nc: NatsConnection,
  command: StreamCommand<V>,
  options: CommandStreamOptions,
): CommandStream {
  const { deviceId, verb } = command;
  const { subject, body, follows: follow } = checkStreamCommand(command);
  const timeoutMs = checkTimeoutMs(options.timeoutMs);
  const requestId = crypto.randomUUID();
  const deadline = Date.now() + timeoutMs;
  const headers = natsHeaders();
  headers.set(Header.Deadline, String(deadline));
  if (options.operatorSub !== undefined) {
    headers.set(Header.OperatorSub, options.operatorSub);
  }
  const reader = requestStream(nc, subject, body, {
    deviceId,
    requestId,
    headers,
    follow,
    deadline: follow ? undefined : deadline,
    graceMs: options.graceMs,
    keepaliveIntervalMs: options.keepaliveIntervalMs,
    controlTimeoutMs: options.controlTimeoutMs,
    signal: options.signal,
  });
  return new CommandStream(reader, {
    deviceId,
    verb,
    requestId,
    timeoutMs,
    signal: options.signal,
  });
}

/** A streaming command, checked: what {@linkcode openCommandStream} sends. */
export interface CheckedStreamCommand {
  /** `device-commands.<id>.<verb>`. */
  subject: string;
  /** The request body, JSON. */
  body: Uint8Array;
  /** Whether the stream follows (bounded by keepalives, not the deadline). */
  follows: boolean;
}

/**
 * Checks a streaming command as {@linkcode openCommandStream} does before
 * sending it — the device id, and the request with the verb's own decoder
 * — without sending anything; e.g. for a CLI that checks its command line
 * before connecting.
 *
 * @throws {InvalidDeviceIdError} (a `TypeError`) for an invalid device id.
 * @throws {TypeError} when the request is not a well-formed request of the
 *   verb (the message names the field) or the verb does not stream.
 * @example
 * ```ts
 * import { checkStreamCommand } from "./command_stream.ts";
 * checkStreamCommand({
 *   deviceId: "d1", verb: "exec", request: { verb: "exec", host: true, cmd: ["id"] },
 * }).subject; // "device-commands.d1.exec"
 * ```
 */
export function checkStreamCommand<V extends StreamingVerb>(
  command: StreamCommand<V>,
): CheckedStreamCommand {
  const { deviceId, verb, request } = command;
  const subject = deviceCommandSubject(deviceId, verb);
  const spec = VERBS[verb]?.stream;
  if (spec === undefined) {
    throw new TypeError(`Cannot stream "${verb}": it is not a streaming verb`);
  }
  const body = encodeJson(request);
  let checked: RequestOf<V>;
  try {
    checked = VERBS[verb].decodeRequest(body) as RequestOf<V>;
  } catch (error) {
    if (!(error instanceof PayloadError)) throw error;
    throw new TypeError(
      `Cannot ${verb} device "${deviceId}": ${error.message}`,
      { cause: error },
    );
  }
  const follows = (spec.follows as (r: RequestOf<V>) => boolean)(checked);
  return { subject, body, follows };
}

/**
 * The reply of a streaming command (`logs`, `exec`): an async iterable of
 * `{ stream: "stdout" | "stderr", data }` chunks, iterable once. The loop
 * ends when the agent's end message says the work is done —
 * `eof` (for `exec` always with its exit code), `limit`, or `cancelled`
 * after this stream's own {@linkcode CommandStream.cancel} —
 * ({@linkcode CommandStream.end} then says why, and the exit code for
 * `exec`), or throws a {@linkcode CommandError}:
 * {@linkcode StreamEndedEarlyError} (the agent ended it before it was
 * done: `deadline`, a `cancelled` it did not ask for, `abandoned`; `end`
 * is set then too),
 * {@linkcode DeviceOfflineError} (no agent), {@linkcode CommandTimeoutError}
 * (nothing came in time), {@linkcode RemoteCommandError} (the agent's
 * error reply, before or after data), {@linkcode StreamInterruptedError}
 * (a message lost, no end, the agent lost the stream, the connection
 * closed), {@linkcode BadReplyError} (a malformed message),
 * {@linkcode NatsTransportError}; or the signal's reason when it aborts.
 * Breaking out of the loop sends `cancel`.
 *
 * @example
 * ```ts ignore
 * for await (const { stream, data } of commandStream) {
 *   (stream === "stdout" ? Deno.stdout : Deno.stderr).writeSync(data);
 * }
 * commandStream.end?.exitCode;
 * ```
 */
export class CommandStream implements AsyncIterable<StreamChunk> {
  readonly #reader: StreamReader;
  readonly #context: CommandErrorOptions;
  readonly #timeoutMs: number;
  readonly #signal?: AbortSignal;
  #cancelAsked = false;

  /** Wraps a nats-level reader; see {@linkcode openCommandStream}. */
  constructor(
    reader: StreamReader,
    context: {
      deviceId: string;
      verb: string;
      requestId: string;
      timeoutMs: number;
      signal?: AbortSignal;
    },
  ) {
    this.#reader = reader;
    this.#context = {
      deviceId: context.deviceId,
      verb: context.verb,
      requestId: context.requestId,
    };
    this.#timeoutMs = context.timeoutMs;
    this.#signal = context.signal;
  }

  /** The device the command is for. */
  get deviceId(): string {
    return this.#context.deviceId;
  }

  /** The verb, `logs` or `exec`. */
  get verb(): string {
    return this.#context.verb;
  }

  /** The `X-Harmony-Request-Id` of the request. */
  get requestId(): string {
    return this.#context.requestId;
  }

  /** How the stream ended (`reason`, and `exitCode` for a finished `exec`), once it has. */
  get end(): StreamEnd | undefined {
    return this.#reader.end;
  }

  /** Data bytes received so far. */
  get bytesReceived(): number {
    return this.#reader.bytesReceived;
  }

  /**
   * Asks the agent to end the stream; the loop then ends with reason
   * `cancelled`. Resolves with whether the agent had it open, or
   * `undefined` when it did not answer.
   */
  cancel(): Promise<boolean | undefined> {
    this.#cancelAsked = true;
    return this.#reader.cancel();
  }

  /**
   * Iterates the chunks; may be called once.
   *
   * @throws {TypeError} when called a second time.
   */
  [Symbol.asyncIterator](): AsyncGenerator<StreamChunk, StreamEnd, undefined> {
    return this.#run(this.#reader[Symbol.asyncIterator]());
  }

  async *#run(
    source: AsyncGenerator<StreamChunk, StreamEnd, undefined>,
  ): AsyncGenerator<StreamChunk, StreamEnd, undefined> {
    let end: StreamEnd;
    try {
      end = yield* source;
    } catch (error) {
      if (this.#signal?.aborted && error === this.#signal.reason) throw error;
      throw commandError(error, this.#context, this.#timeoutMs);
    }
    if (
      EARLY_ENDS.has(end.reason) &&
      !(end.reason === EndReason.Cancelled && this.#cancelAsked)
    ) {
      throw new StreamEndedEarlyError({
        ...this.#context,
        reason: end.reason as EarlyEnd,
        timeoutMs: this.#timeoutMs,
      });
    }
    if (
      this.#context.verb === Verb.Exec && end.reason === EndReason.Eof &&
      end.exitCode === undefined
    ) {
      throw new BadReplyError({
        ...this.#context,
        cause: new PayloadError(
          `the stream ended "eof" without "${StreamHeader.ExitCode}": a finished exec always has one`,
        ),
      });
    }
    return end;
  }
}

const EARLY_ENDS: ReadonlySet<string> = new Set<EarlyEnd>([
  EndReason.Deadline,
  EndReason.Cancelled,
  EndReason.Abandoned,
]);

function commandError(
  error: unknown,
  context: CommandErrorOptions,
  timeoutMs: number,
): CommandError {
  const options = { ...context, cause: error };
  if (error instanceof StreamRemoteError) {
    return new RemoteCommandError({
      ...options,
      kind: error.kind,
      code: error.code,
      remoteMessage: error.remoteMessage,
    });
  }
  if (error instanceof PayloadError) {
    return new BadReplyError({ ...context, cause: error });
  }
  if (error instanceof StreamReceiveError) {
    switch (error.failure) {
      case StreamFailure.NoResponders:
        return new DeviceOfflineError(options);
      case StreamFailure.Timeout:
        return new CommandTimeoutError({ ...options, timeoutMs });
      default:
        return new StreamInterruptedError({
          ...options,
          reason: error.failure,
          detail: error.detail,
          expectedSeq: error.expectedSeq,
          receivedSeq: error.receivedSeq,
        });
    }
  }
  if (error instanceof natsErrors.NoRespondersError) {
    return new DeviceOfflineError(options);
  }
  return new NatsTransportError(options);
}
