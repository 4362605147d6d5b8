// One stream the agent is sending: its handler's output through a
// StreamSender, and everything that can end it (the output's end, a
// cancel, no keepalive, the limit, the deadline, a shutdown, an error),
// each ending it exactly once and aborting the handler's signal. Private
// to agent/; see command_server.ts.
import type { NatsConnection } from "@nats-io/nats-core";
import {
  EndReason,
  ErrorKind,
  type StreamChunk,
  StreamName,
} from "../contracts/mod.ts";
import { StreamSender } from "../nats/mod.ts";
import type { HandlerContext } from "./_handler_context.ts";
import { type FailureContext, handlerFailure } from "./_failure.ts";
import type { StreamHandler, StreamResult, StreamSource } from "./handler.ts";
import type { Logger } from "./log.ts";

/** Largest delay `setTimeout` accepts; longer waits get no timer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** How a stream ended, for its `command` log line. */
export interface StreamOutcome {
  outcome: "ok" | ErrorKind;
  message?: string;
  end?: EndReason;
  exitCode?: number;
  bytes: number;
}

export interface OpenStreamOptions {
  nc: NatsConnection;
  reply: string;
  requestId: string;
  context: HandlerContext;
  handler: StreamHandler;
  /** Bounded by keepalives instead of the deadline. */
  follows: boolean;
  limitBytes?: number;
  lines: boolean;
  keepaliveTimeoutMs: number;
  lingerMs?: number;
  failure: FailureContext;
  logger: Logger;
  /** Called once, right after the terminal message was sent (or failed to be). */
  onTerminal(outcome: StreamOutcome): void;
}

/** Aborts a stream's handler; its message says why. */
export class StreamStoppedError extends Error {
  readonly reason: EndReason | "error";
  constructor(requestId: string, reason: EndReason | "error") {
    super(`The stream of request "${requestId}" ended: ${reason}`);
    this.name = "StreamStoppedError";
    this.reason = reason;
  }
}

export class OpenStream {
  readonly #options: OpenStreamOptions;
  readonly #sender: StreamSender;
  readonly #context: HandlerContext;
  #ended = false;
  #written = 0;
  #deadlineTimer?: ReturnType<typeof setTimeout>;
  #abandonTimer?: ReturnType<typeof setTimeout>;
  #lastKeepalive = 0;

  constructor(options: OpenStreamOptions) {
    this.#options = options;
    this.#context = options.context;
    this.#sender = new StreamSender(options.nc, options.reply, {
      requestId: options.requestId,
      lines: options.lines,
      lingerMs: options.lingerMs,
    });
    const deadline = options.context.deadline;
    if (options.follows) {
      this.#lastKeepalive = performance.now();
      this.#armAbandon(options.keepaliveTimeoutMs);
    } else if (deadline !== undefined) {
      const remaining = deadline - Date.now();
      if (remaining < MAX_TIMER_MS) {
        this.#deadlineTimer = setTimeout(
          () => this.stop(EndReason.Deadline),
          Math.max(0, remaining),
        );
      }
    }
  }

  get ended(): boolean {
    return this.#ended;
  }

  /**
   * Ends the stream now with `reason` (end message published before this
   * returns) and aborts the handler. False when it had already ended.
   */
  stop(reason: EndReason): boolean {
    if (this.#ended) return false;
    this.#terminate(() => this.#sender.end(reason), {
      outcome: "ok",
      end: reason,
    });
    return true;
  }

  keepalive(): void {
    this.#lastKeepalive = performance.now();
  }

  /** The reply subject its messages go to. */
  get reply(): string {
    return this.#options.reply;
  }

  /**
   * Gives the stream up without a terminal message, which could not be
   * delivered either (NATS refuses its messages): the handler is aborted
   * and the stream forgotten, so the client's next keepalive finds none
   * and it reports the stream interrupted rather than waiting for ever.
   */
  lose(detail: string): void {
    if (this.#ended) return;
    this.#ended = true;
    clearTimeout(this.#deadlineTimer);
    clearTimeout(this.#abandonTimer);
    this.#options.logger.warn("stream_lost", {
      subject: this.#options.failure.subject,
      request_id: this.#options.requestId,
      reply: this.#options.reply,
      message: detail,
    });
    this.#context.abort(
      new StreamStoppedError(this.#options.requestId, "error"),
    );
    this.#options.onTerminal({
      outcome: ErrorKind.Internal,
      message: detail,
      bytes: this.#sender.bytesSent,
    });
  }

  /** Runs the handler to the stream's end; resolves once the handler has let go. */
  async run(): Promise<void> {
    let source: StreamSource;
    try {
      const result = this.#options.handler(this.#context);
      source = isPromiseLike(result) ? await result : result;
      if (!isAsyncIterable(source)) {
        throw new TypeError(
          `The handler of "${this.#options.failure.verb}" returned ${typeof source}, not an async iterable of chunks`,
        );
      }
    } catch (error) {
      if (!this.#ended) this.#fail(error);
      return;
    }
    const iterator = source[Symbol.asyncIterator]();
    let settled = false;
    try {
      while (!this.#ended) {
        const step = await iterator.next();
        if (this.#ended) break;
        if (step.done) {
          settled = true;
          this.#finish(step.value);
          break;
        }
        const wait = this.#write(step.value);
        if (wait !== undefined) await wait;
      }
    } catch (error) {
      settled = true;
      // After the end, a handler giving up on its aborted work is expected.
      if (!this.#ended) this.#fail(error);
    } finally {
      if (!settled) {
        try {
          await iterator.return?.();
        } catch (error) {
          this.#options.logger.debug("stream_close_failed", {
            request_id: this.#options.requestId,
            error,
          });
        }
      }
      await this.#sender.settled();
    }
  }

  #write(chunk: StreamChunk): Promise<void> | undefined {
    const { stream, data } = chunk ?? {};
    if (stream !== StreamName.Stdout && stream !== StreamName.Stderr) {
      throw new TypeError(
        `The handler of "${this.#options.failure.verb}" yielded a chunk whose stream is ${
          JSON.stringify(stream)
        }, not "stdout" or "stderr"`,
      );
    }
    if (!(data instanceof Uint8Array)) {
      throw new TypeError(
        `The handler of "${this.#options.failure.verb}" yielded a chunk whose data is not a Uint8Array`,
      );
    }
    if (data.length === 0) return undefined;
    const limit = this.#options.limitBytes;
    let bytes = data;
    let over = false;
    if (limit !== undefined) {
      const room = limit - this.#written;
      if (room <= 0) {
        // Exactly at the limit before, and more came: it was cut.
        this.stop(EndReason.Limit);
        return undefined;
      }
      if (data.length > room) {
        bytes = data.subarray(0, room);
        over = true;
      }
    }
    this.#written += bytes.length;
    const wait = this.#sender.write(stream, bytes);
    if (over) {
      this.stop(EndReason.Limit);
      return undefined;
    }
    return wait;
  }

  #finish(result: StreamResult | void | undefined): void {
    const exitCode = result?.exitCode;
    if (
      exitCode !== undefined &&
      !(Number.isSafeInteger(exitCode) && exitCode >= 0)
    ) {
      this.#fail(
        new TypeError(
          `The handler of "${this.#options.failure.verb}" returned exit code ${exitCode}, not a non-negative integer`,
        ),
      );
      return;
    }
    this.#terminate(
      () => this.#sender.end(EndReason.Eof, { exitCode }),
      { outcome: "ok", end: EndReason.Eof, exitCode },
    );
  }

  #fail(error: unknown): void {
    const { kind, message } = handlerFailure(
      error,
      this.#options.failure,
      this.#options.logger,
    );
    this.#terminate(() => this.#sender.fail(kind, message), {
      outcome: kind,
      message,
    });
  }

  #terminate(
    send: () => void,
    outcome: Omit<StreamOutcome, "bytes">,
  ): void {
    this.#ended = true;
    clearTimeout(this.#deadlineTimer);
    clearTimeout(this.#abandonTimer);
    try {
      send();
    } catch (error) {
      this.#options.logger.warn("reply_failed", {
        reply: this.#options.reply,
        request_id: this.#options.requestId,
        error,
      });
    }
    this.#context.abort(
      new StreamStoppedError(
        this.#options.requestId,
        outcome.end ?? "error",
      ),
    );
    this.#options.onTerminal({ ...outcome, bytes: this.#sender.bytesSent });
  }

  #armAbandon(delayMs: number): void {
    this.#abandonTimer = setTimeout(() => {
      const idle = performance.now() - this.#lastKeepalive;
      const timeout = this.#options.keepaliveTimeoutMs;
      if (idle >= timeout) this.stop(EndReason.Abandoned);
      else this.#armAbandon(timeout - idle);
    }, Math.min(delayMs, MAX_TIMER_MS));
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

function isAsyncIterable(value: unknown): value is StreamSource {
  return typeof (value as StreamSource | null)?.[Symbol.asyncIterator] ===
    "function";
}
