import { assertDeviceId, ErrorKind, type PingReply } from "../contracts/mod.ts";
import type { CommandOptions, FleetCommandsClient } from "./client.ts";
import {
  CommandTimeoutError,
  DeviceOfflineError,
  RemoteCommandError,
  StreamEndedEarlyError,
} from "./errors.ts";

/**
 * How many commands a fan-out has in flight at most, unless told
 * otherwise. Measured on the 2-core build machine against 1,000 and
 * 10,000 simulated devices: more than this gained nothing, and a bound
 * keeps a command's timeout about the device, not about the queue of
 * replies in this process.
 */
export const DEFAULT_FANOUT_CONCURRENCY = 256;

/**
 * How one device's command ended, as a fan-out sorts it:
 *
 * - `answered`: the command resolved (for `exec`: the command ran, whatever its exit code);
 * - `offline`: NATS answered "no responders" at once: no agent of that device is connected;
 * - `timed_out`: no reply in time, or the agent said its deadline passed
 *   (`deadline_exceeded`, or an `exec` stream ended `deadline`): the device
 *   is there but did not finish in time;
 * - `errored`: anything else (the agent's error reply, a bad reply, the connection).
 */
export type FanoutStatus = "answered" | "offline" | "timed_out" | "errored";

/** A device whose command resolved. */
export interface FanoutAnswered<T> {
  /** The device. */
  deviceId: string;
  /** Always `"answered"`. */
  status: "answered";
  /** What the command resolved with. */
  value: T;
  /** From sending the command to its outcome, in milliseconds. */
  elapsedMs: number;
}

/** A device whose command rejected. */
export interface FanoutFailed {
  /** The device. */
  deviceId: string;
  /** `offline`, `timed_out` or `errored`; see {@linkcode FanoutStatus}. */
  status: Exclude<FanoutStatus, "answered">;
  /** What the command rejected with (a `CommandError` for the client's commands). */
  error: unknown;
  /** From sending the command to its outcome, in milliseconds. */
  elapsedMs: number;
}

/** The outcome of one device's command in a fan-out. */
export type FanoutOutcome<T> = FanoutAnswered<T> | FanoutFailed;

/**
 * Every device of a finished fan-out, by outcome; each list in the order
 * the devices were given, each device in exactly one list.
 */
export interface FanoutSummary {
  /** How many devices were targeted (after removing repeated ids). */
  targeted: number;
  /** Devices whose command resolved. */
  answered: string[];
  /** Devices with no agent connected ("no responders"). */
  offline: string[];
  /** Devices that did not finish in time. */
  timedOut: string[];
  /** Devices whose command failed otherwise. */
  errored: string[];
}

/**
 * Runs one device's command. `signal` aborts when the fan-out stops early
 * (the loop was left, or the caller's signal aborted): the command should
 * then stop and reject.
 */
export type FanoutCommand<T> = (
  deviceId: string,
  signal: AbortSignal,
) => Promise<T>;

/** Options of {@linkcode fanOut}. */
export interface FanoutOptions {
  /**
   * At most this many commands in flight; a whole number of 1 or more, or
   * `Infinity` for no bound. Else `fanOut` throws a `RangeError`.
   *
   * @default {DEFAULT_FANOUT_CONCURRENCY} (256)
   */
  concurrency?: number;
  /**
   * Aborting it stops the fan-out: no more commands are sent, those in
   * flight get their signal aborted, and the loop throws `signal.reason`.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * The status a command's rejection stands for; see
 * {@linkcode FanoutStatus}.
 *
 * @example
 * ```ts
 * import { fanoutStatusOf } from "./fanout.ts";
 * fanoutStatusOf(new Error("boom")); // "errored"
 * ```
 */
export function fanoutStatusOf(
  error: unknown,
): Exclude<FanoutStatus, "answered"> {
  if (error instanceof DeviceOfflineError) return "offline";
  if (error instanceof CommandTimeoutError) return "timed_out";
  if (
    error instanceof RemoteCommandError &&
    error.kind === ErrorKind.DeadlineExceeded
  ) return "timed_out";
  if (error instanceof StreamEndedEarlyError && error.reason === "deadline") {
    return "timed_out";
  }
  return "errored";
}

/**
 * A command sent to many devices, at most `concurrency` at a time: an
 * async iterable of one {@linkcode FanoutOutcome} per device, in the order
 * the outcomes arrive. It may be iterated once. After the loop has run to
 * its end, {@linkcode Fanout.summary} lists every device by outcome.
 * Leaving the loop early sends no more commands and aborts those in flight.
 *
 * @example
 * ```ts ignore
 * const fanout = pingFanout(client, ["d1", "d2", "d3"]);
 * for await (const outcome of fanout) console.log(outcome.deviceId, outcome.status);
 * fanout.summary?.offline; // e.g. ["d3"]
 * ```
 */
export class Fanout<T> implements AsyncIterable<FanoutOutcome<T>> {
  #deviceIds: readonly string[];
  #command: FanoutCommand<T>;
  #concurrency: number;
  #signal?: AbortSignal;
  #started = false;
  #inFlight = 0;
  #maxInFlight = 0;
  #statuses = new Map<string, FanoutStatus>();
  #summary?: FanoutSummary;

  /** Use {@linkcode fanOut}; the ids are checked and unique. */
  constructor(
    deviceIds: readonly string[],
    command: FanoutCommand<T>,
    options: { concurrency: number; signal?: AbortSignal },
  ) {
    this.#deviceIds = deviceIds;
    this.#command = command;
    this.#concurrency = options.concurrency;
    this.#signal = options.signal;
  }

  /** The devices targeted, in the order given, without repeats. */
  get deviceIds(): readonly string[] {
    return this.#deviceIds;
  }

  /** How many commands are in flight now. */
  get inFlight(): number {
    return this.#inFlight;
  }

  /** The most commands that were in flight at once so far. */
  get maxInFlight(): number {
    return this.#maxInFlight;
  }

  /** Every device by outcome, once the loop has run to its end; else `undefined`. */
  get summary(): FanoutSummary | undefined {
    return this.#summary;
  }

  /**
   * Runs the loop to its end and returns every outcome in the order the
   * devices were given, with the summary.
   */
  async collect(): Promise<
    { outcomes: FanoutOutcome<T>[]; summary: FanoutSummary }
  > {
    const byId = new Map<string, FanoutOutcome<T>>();
    for await (const outcome of this) byId.set(outcome.deviceId, outcome);
    return {
      outcomes: this.#deviceIds.map((id) => byId.get(id)!),
      summary: this.#summary!,
    };
  }

  /** The outcomes as they arrive; see {@linkcode Fanout}. */
  [Symbol.asyncIterator](): AsyncIterator<FanoutOutcome<T>> {
    if (this.#started) {
      throw new TypeError("Cannot iterate a fan-out twice");
    }
    this.#started = true;
    return this.#run();
  }

  async *#run(): AsyncGenerator<FanoutOutcome<T>> {
    const ids = this.#deviceIds;
    const stop = new AbortController();
    const outer = this.#signal;
    const ready: FanoutOutcome<T>[] = [];
    let head = 0;
    let next = 0;
    let wake: (() => void) | undefined;
    const pending = new Set<Promise<void>>();
    const onAbort = () => {
      stop.abort(outer!.reason);
      wake?.();
    };
    outer?.throwIfAborted();
    outer?.addEventListener("abort", onAbort, { once: true });

    const settle = (outcome: FanoutOutcome<T>) => {
      this.#inFlight--;
      ready.push(outcome);
      launch();
      const w = wake;
      wake = undefined;
      w?.();
    };
    const launch = () => {
      while (
        this.#inFlight < this.#concurrency && next < ids.length &&
        !stop.signal.aborted
      ) {
        const deviceId = ids[next++];
        this.#inFlight++;
        if (this.#inFlight > this.#maxInFlight) {
          this.#maxInFlight = this.#inFlight;
        }
        const started = performance.now();
        let work: Promise<T>;
        try {
          work = this.#command(deviceId, stop.signal);
        } catch (error) {
          work = Promise.reject(error);
        }
        const done: Promise<void> = work.then(
          (value) =>
            settle({
              deviceId,
              status: "answered",
              value,
              elapsedMs: performance.now() - started,
            }),
          (error) =>
            settle({
              deviceId,
              status: fanoutStatusOf(error),
              error,
              elapsedMs: performance.now() - started,
            }),
        ).finally(() => pending.delete(done));
        pending.add(done);
      }
    };

    try {
      launch();
      let delivered = 0;
      while (delivered < ids.length) {
        outer?.throwIfAborted();
        if (head === ready.length) {
          await new Promise<void>((resolve) => wake = resolve);
          continue;
        }
        const outcome = ready[head];
        ready[head++] = undefined as unknown as FanoutOutcome<T>;
        this.#statuses.set(outcome.deviceId, outcome.status);
        delivered++;
        yield outcome;
      }
      this.#summary = summarize(ids, this.#statuses);
    } finally {
      outer?.removeEventListener("abort", onAbort);
      if (this.#summary === undefined) {
        if (!stop.signal.aborted) {
          stop.abort(new DOMException("The fan-out stopped", "AbortError"));
        }
        while (pending.size > 0) await Promise.all(pending);
      }
    }
  }
}

function summarize(
  ids: readonly string[],
  statuses: ReadonlyMap<string, FanoutStatus>,
): FanoutSummary {
  const summary: FanoutSummary = {
    targeted: ids.length,
    answered: [],
    offline: [],
    timedOut: [],
    errored: [],
  };
  for (const id of ids) {
    const status = statuses.get(id);
    if (status === "answered") summary.answered.push(id);
    else if (status === "offline") summary.offline.push(id);
    else if (status === "timed_out") summary.timedOut.push(id);
    else summary.errored.push(id);
  }
  return summary;
}

/**
 * Sends `command` to every device of `deviceIds`, at most
 * `options.concurrency` at a time, and returns the {@linkcode Fanout}:
 * one outcome per device as it arrives, then the summary. Repeated ids
 * are sent to once. Nothing is sent until the loop starts.
 *
 * @throws {InvalidDeviceIdError} (a `TypeError`) for an invalid device id,
 *   before anything is sent.
 * @throws {RangeError} for a `concurrency` that is not a whole number of 1
 *   or more (nor `Infinity`).
 * @example
 * ```ts
 * import { fanOut } from "./fanout.ts";
 * const fanout = fanOut(["d1", "d2"], (id) => Promise.resolve(id.length), { concurrency: 1 });
 * const { summary } = await fanout.collect();
 * summary.answered; // ["d1", "d2"]
 * ```
 */
export function fanOut<T>(
  deviceIds: Iterable<string>,
  command: FanoutCommand<T>,
  options: FanoutOptions = {},
): Fanout<T> {
  const concurrency = options.concurrency ?? DEFAULT_FANOUT_CONCURRENCY;
  if (
    !(concurrency === Infinity ||
      (Number.isSafeInteger(concurrency) && concurrency >= 1))
  ) {
    throw new RangeError(
      `Invalid fan-out concurrency ${concurrency}: expected a whole number of 1 or more, or Infinity`,
    );
  }
  const unique = [...new Set(deviceIds)];
  for (const id of unique) assertDeviceId(id);
  return new Fanout(unique, command, {
    concurrency,
    signal: options.signal,
  });
}

/** Options of {@linkcode pingFanout}. */
export interface PingFanoutOptions extends FanoutOptions {
  /**
   * How long each ping waits for its reply, in milliseconds (from when it
   * is sent, not from the start of the fan-out).
   *
   * @default {the client's `timeoutMs`}
   */
  timeoutMs?: number;
}

/**
 * Pings every device of `deviceIds` through `client`, at most
 * `options.concurrency` at a time: {@linkcode fanOut} with
 * `client.ping`. An offline device is known at once (no responders); a
 * silent one after `timeoutMs`.
 *
 * @throws {InvalidDeviceIdError} / {RangeError} as {@linkcode fanOut}.
 * @example
 * ```ts ignore
 * const fanout = pingFanout(client, ids, { timeoutMs: 2000 });
 * for await (const outcome of fanout) {
 *   if (outcome.status === "answered") console.log(outcome.deviceId, outcome.value.uptime_s);
 * }
 * const { offline, timedOut } = fanout.summary!;
 * ```
 */
export function pingFanout(
  client: FleetCommandsClient,
  deviceIds: Iterable<string>,
  options: PingFanoutOptions = {},
): Fanout<PingReply> {
  const ping: CommandOptions = {};
  if (options.timeoutMs !== undefined) ping.timeoutMs = options.timeoutMs;
  return fanOut(
    deviceIds,
    (deviceId, signal) => client.ping(deviceId, { ...ping, signal }),
    options,
  );
}
