import { type ErrorKind, isVerb, Verb } from "../contracts/mod.ts";
import { type LogFields, Logger, LogLevel } from "./log.ts";

/** One command the agent has answered, as {@linkcode CommandLog.record} takes it. */
export interface CommandEntry {
  /** The request's subject. */
  subject: string;
  /** The verb, when the subject named one (known or not). */
  verb?: string;
  /** `X-Harmony-Request-Id`, when given. */
  requestId?: string;
  /** `X-Harmony-Operator-Sub`, when given. */
  operatorSub?: string;
  /** `"ok"`, or the error kind of the reply. */
  outcome: "ok" | ErrorKind;
  /** The error message of the reply, if any. */
  message?: string;
  /** When handling began, in `performance.now()` milliseconds. */
  started: number;
  /** For a stream: the data bytes sent. */
  bytes?: number;
  /** For a stream that ended with an end message: its reason. */
  end?: string;
  /** For a stream whose end carried one: the exit code. */
  exitCode?: number;
  /** Fields the handler added (`annotate()`): container, argv, … */
  fields?: Record<string, unknown>;
}

/** Options of {@linkcode CommandLog}. */
export interface CommandLogOptions {
  /**
   * Where lines go.
   *
   * @default {new Logger()} (stderr, info and above)
   */
  logger?: Logger;
  /**
   * Verbs whose successful commands get a `command` line at debug only:
   * read-only, frequent, cheap ones. Every other verb, and every failed
   * command, gets one at info.
   *
   * @default {["ping", "keepalive"]}
   */
  quietVerbs?: readonly string[];
  /**
   * Seconds between two `commands` summary lines (none while no command
   * comes).
   *
   * @default {60}
   */
  summaryIntervalS?: number;
}

/** Default of {@linkcode CommandLogOptions.quietVerbs}: `ping` and `keepalive`. */
export const DEFAULT_QUIET_VERBS: readonly string[] = [
  Verb.Ping,
  Verb.Keepalive,
];
/** Default of {@linkcode CommandLogOptions.summaryIntervalS}. */
export const DEFAULT_COMMAND_SUMMARY_INTERVAL_S = 60;
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The summary's key for a verb this protocol does not know. */
const UNKNOWN_VERB = "(unknown)";

/**
 * The agent's log of commands, cheap at high rates and still an audit:
 *
 * - every command that fails, and every command of a verb that is not
 *   quiet (state-changing or sensitive ones, e.g. `exec`), gets a `command`
 *   line at info: subject, verb, request id, operator, outcome, message,
 *   duration, and for a stream the bytes sent, the end reason and the exit
 *   code, plus the fields its handler added (never stdin or env values);
 * - a successful command of a quiet verb (`ping`) gets that line at debug
 *   only (not written at the default level, and then not even built);
 * - every command is counted, per verb and outcome, and the counts are
 *   written as one `commands` line at info every `summaryIntervalS`
 *   (`{"event":"commands","since":"<ts>","total":N,"counts":{"ping":{"ok":N}}}`),
 *   none while idle, and a last one on {@linkcode CommandLog.close}.
 *
 * @example
 * ```ts
 * import { CommandLog, Logger } from "@harmony/fleet/agent";
 * using log = new CommandLog({ logger: new Logger({ write: () => {} }) });
 * log.record({ subject: "device-commands.d1.ping", verb: "ping", outcome: "ok", started: performance.now() });
 * ```
 */
export class CommandLog implements Disposable {
  #logger: Logger;
  #quiet: ReadonlySet<string>;
  #intervalMs: number;
  #counts = new Map<string, Map<string, number>>();
  #total = 0;
  #since = "";
  #timer?: ReturnType<typeof setTimeout>;

  /**
   * Builds the log; no timer runs until a command is recorded.
   *
   * @throws {RangeError} when `options.summaryIntervalS` is not a positive
   *   number of seconds a timer can hold.
   */
  constructor(options: CommandLogOptions = {}) {
    const intervalS = options.summaryIntervalS ??
      DEFAULT_COMMAND_SUMMARY_INTERVAL_S;
    const intervalMs = intervalS * 1000;
    if (!(intervalMs > 0 && intervalMs <= MAX_TIMER_MS)) {
      throw new RangeError(
        `Cannot write a command summary every ${intervalS} s: the summary interval must be more than 0 and at most ${
          Math.floor(MAX_TIMER_MS / 1000)
        } s`,
      );
    }
    this.#logger = options.logger ?? new Logger();
    this.#quiet = new Set(options.quietVerbs ?? DEFAULT_QUIET_VERBS);
    this.#intervalMs = intervalMs;
  }

  /** Counts `entry`, and writes its `command` line if its level is enabled. */
  record(entry: CommandEntry): void {
    const { verb, outcome } = entry;
    const key = verb !== undefined && isVerb(verb) ? verb : UNKNOWN_VERB;
    let byOutcome = this.#counts.get(key);
    if (byOutcome === undefined) {
      byOutcome = new Map();
      this.#counts.set(key, byOutcome);
    }
    byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
    if (this.#total++ === 0) {
      this.#since = new Date().toISOString();
      this.#timer = setTimeout(() => this.flush(), this.#intervalMs);
      // Never what keeps the process alive.
      Deno.unrefTimer(this.#timer);
    }

    const level =
      outcome === "ok" && verb !== undefined && this.#quiet.has(verb)
        ? LogLevel.Debug
        : LogLevel.Info;
    if (!this.#logger.isEnabled(level)) return;
    this.#logger.log(level, "command", {
      ...entry.fields,
      subject: entry.subject,
      request_id: entry.requestId,
      operator_sub: entry.operatorSub,
      verb,
      outcome,
      message: entry.message,
      bytes: entry.bytes,
      end: entry.end,
      exit_code: entry.exitCode,
      duration_ms: Math.round((performance.now() - entry.started) * 1000) /
        1000,
    });
  }

  /** Writes the `commands` line for what was counted since the last one, if anything. */
  flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#total === 0) return;
    const counts: Record<string, Record<string, number>> = {};
    for (const [verb, byOutcome] of this.#counts) {
      counts[verb] = Object.fromEntries(byOutcome);
    }
    const fields: LogFields = {
      since: this.#since,
      total: this.#total,
      counts,
    };
    this.#counts.clear();
    this.#total = 0;
    this.#logger.info("commands", fields);
  }

  /** Writes the last `commands` line and stops the timer. Idempotent. */
  close(): void {
    this.flush();
  }

  /** Same as {@linkcode CommandLog.close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}
