// What a handler gets for one request (its context, with a signal made on
// demand) and how its result races the request's deadline. Private to
// agent/; see command_server.ts.
import type { CommandRequest, Verb } from "../contracts/mod.ts";
import type { CommandContext, StreamControl } from "./handler.ts";

/** Largest delay `setTimeout` accepts; longer deadlines get no timer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** What {@linkcode withinDeadline} settles with when the deadline wins. */
export const DEADLINE: unique symbol = Symbol("deadline");

/**
 * The context a handler gets. A class, not an object literal: a literal
 * with a getter closing over per-request state makes V8 build a new hidden
 * class per request, which outlives the request until a full GC (the
 * heap profile showed it as most of the agent's promoted garbage). Its
 * `signal` is made only if the handler asks for it: most never do, and an
 * `AbortController` per request is not free either.
 */
export class HandlerContext implements CommandContext {
  readonly deviceId: string;
  readonly verb: Verb;
  readonly request: CommandRequest;
  readonly requestId?: string;
  readonly operatorSub?: string;
  readonly deadline?: number;
  readonly streams: StreamControl;
  #controller?: AbortController;
  #fields?: Record<string, unknown>;
  #aborted = false;
  #reason: unknown;

  constructor(
    deviceId: string,
    fields: Omit<CommandContext, "deviceId" | "signal" | "annotate">,
  ) {
    this.deviceId = deviceId;
    this.verb = fields.verb;
    this.request = fields.request;
    this.requestId = fields.requestId;
    this.operatorSub = fields.operatorSub;
    this.deadline = fields.deadline;
    this.streams = fields.streams;
  }

  /** Fields added by the handler for the `command` log line, if any. */
  get fields(): Record<string, unknown> | undefined {
    return this.#fields;
  }

  annotate(fields: Record<string, unknown>): void {
    this.#fields = { ...this.#fields, ...fields };
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}

/** Settles with the handler's result, or DEADLINE once `deadline` passes (aborting the handler). */
export async function withinDeadline(
  work: Promise<unknown>,
  context: HandlerContext,
): Promise<unknown> {
  const { deadline } = context;
  const remaining = deadline === undefined ? Infinity : deadline - Date.now();
  if (remaining >= MAX_TIMER_MS) return await work;
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<typeof DEADLINE>((resolve) => {
        timer = setTimeout(() => {
          context.abort(new Error("deadline exceeded"));
          resolve(DEADLINE);
        }, Math.max(0, remaining));
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
