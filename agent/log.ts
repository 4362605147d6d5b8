/**
 * Severity of a log event, lowest first.
 *
 * @example
 * ```ts
 * import { LogLevel } from "@harmony/fleet/agent";
 * LogLevel.Warn; // "warn"
 * ```
 */
export const LogLevel = {
  /** Detail useful only while debugging. */
  Debug: "debug",
  /** Normal operation: start, ready, each command handled. */
  Info: "info",
  /** Something went wrong but the agent carries on. */
  Warn: "warn",
  /** The agent cannot do what it was asked to; often followed by an exit. */
  Error: "error",
} as const;

/** One of the values of {@linkcode LogLevel}. */
export type LogLevel = typeof LogLevel[keyof typeof LogLevel];

const RANK: Readonly<Record<LogLevel, number>> = {
  debug: 0,
  info: 1,
  warn: 2,
  error: 3,
};

/** Extra fields of a log event; `Error` values are written as `"Name: message"`. */
export type LogFields = Readonly<Record<string, unknown>>;

/** Options of {@linkcode Logger}. */
export interface LoggerOptions {
  /**
   * Receives each line (one JSON object, no trailing newline).
   *
   * @default writes the line and a newline to stderr
   */
  write?: (line: string) => void;
  /**
   * Events below this level are not written.
   *
   * @default {"info"}
   */
  level?: LogLevel;
  /**
   * Fields added to every event, e.g. `{ device_id: "d1" }`.
   *
   * @default {{}}
   */
  fields?: LogFields;
  /**
   * Strings never to write (passwords, tokens): each is replaced by `***`
   * wherever it appears in a field's value. Empty strings are ignored.
   *
   * @default {[]}
   */
  secrets?: readonly string[];
}

/** Options of {@linkcode Logger.child}. */
export interface ChildLoggerOptions {
  /**
   * Events below this level are not written.
   *
   * @default the parent's level
   */
  level?: LogLevel;
  /**
   * More strings never to write, on top of the parent's.
   *
   * @default {[]}
   */
  secrets?: readonly string[];
}

const encoder = new TextEncoder();

function writeStderr(line: string): void {
  const bytes = encoder.encode(line + "\n");
  let written = 0;
  while (written < bytes.length) {
    written += Deno.stderr.writeSync(bytes.subarray(written));
  }
}

/**
 * Writes one JSON object per event, one per line, to stderr:
 * `{"ts":"2025-01-01T00:00:00.000Z","level":"info","event":"ready",...fields}`.
 * `ts`, `level` and `event` always come first and cannot be overridden by
 * fields; `Error` field values become `"Name: message"` strings.
 *
 * @example
 * ```ts
 * import { Logger } from "@harmony/fleet/agent";
 * const lines: string[] = [];
 * const log = new Logger({ write: (line) => lines.push(line) });
 * log.info("ready", { device_id: "d1" });
 * JSON.parse(lines[0]).event; // "ready"
 * ```
 */
export class Logger {
  #write: (line: string) => void;
  #level: LogLevel;
  #fields: LogFields;
  #secrets: string[];

  /** Builds a logger; see {@linkcode LoggerOptions}. */
  constructor(options: LoggerOptions = {}) {
    this.#write = options.write ?? writeStderr;
    this.#level = options.level ?? LogLevel.Info;
    this.#secrets = secretForms(options.secrets ?? []);
    this.#fields = options.fields ?? {};
  }

  /**
   * A logger writing to the same place whose events also carry `fields`,
   * which also hides `options.secrets`, at `options.level` if given.
   *
   * @example
   * ```ts
   * import { Logger } from "@harmony/fleet/agent";
   * const log = new Logger().child({ device_id: "d1" });
   * ```
   */
  child(fields: LogFields, options: ChildLoggerOptions = {}): Logger {
    return new Logger({
      write: this.#write,
      level: options.level ?? this.#level,
      fields: { ...this.#fields, ...fields },
      secrets: [...this.#secrets, ...options.secrets ?? []],
    });
  }

  /**
   * Whether events at `level` are written: check it before building
   * costly fields.
   *
   * @example
   * ```ts
   * import { Logger } from "@harmony/fleet/agent";
   * new Logger({ level: "info" }).isEnabled("debug"); // false
   * ```
   */
  isEnabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.#level];
  }

  /** Writes a `debug` event. @example `log.debug("command_received", { verb: "ping" })` */
  debug(event: string, fields?: LogFields): void {
    this.log(LogLevel.Debug, event, fields);
  }

  /** Writes an `info` event. @example `log.info("ready", { device_id: "d1" })` */
  info(event: string, fields?: LogFields): void {
    this.log(LogLevel.Info, event, fields);
  }

  /** Writes a `warn` event. @example `log.warn("nats_disconnected", { server })` */
  warn(event: string, fields?: LogFields): void {
    this.log(LogLevel.Warn, event, fields);
  }

  /** Writes an `error` event. @example `log.error("config_invalid", { message })` */
  error(event: string, fields?: LogFields): void {
    this.log(LogLevel.Error, event, fields);
  }

  /**
   * Writes an event at `level`, unless the logger's level is higher.
   *
   * @example
   * ```ts
   * import { Logger } from "@harmony/fleet/agent";
   * new Logger({ write: () => {} }).log("info", "started");
   * ```
   */
  log(level: LogLevel, event: string, fields?: LogFields): void {
    if (RANK[level] < RANK[this.#level]) return;
    const record: Record<string, unknown> = {
      ts: new Date().toISOString(),
      level,
      event,
    };
    for (const source of [this.#fields, fields ?? {}]) {
      for (const [key, value] of Object.entries(source)) {
        if (key === "ts" || key === "level" || key === "event") continue;
        if (value === undefined) continue;
        record[key] = value instanceof Error ? describeError(value) : value;
      }
    }
    if (this.#secrets.length > 0) {
      for (const key of Object.keys(record)) {
        record[key] = this.#scrub(record[key]);
      }
    }
    let line: string;
    try {
      line = JSON.stringify(record);
    } catch (error) {
      line = JSON.stringify({
        ts: record.ts,
        level,
        event,
        log_error: `fields not serialisable: ${describeError(error)}`,
      });
    }
    this.#write(line);
  }

  /** `value` with every secret replaced by `***`, in strings at any depth. */
  #scrub(value: unknown): unknown {
    if (this.#secrets.length === 0) return value;
    if (typeof value === "string") {
      let text = value;
      for (const secret of this.#secrets) {
        if (text.includes(secret)) text = text.replaceAll(secret, "***");
      }
      return text;
    }
    if (value instanceof Error) return this.#scrub(describeError(value));
    if (Array.isArray(value)) return value.map((item) => this.#scrub(item));
    if (isPlainObject(value)) {
      return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, this.#scrub(v)]),
      );
    }
    return value;
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** Each secret as given, and as it may appear percent-encoded; longest first. */
function secretForms(secrets: readonly string[]): string[] {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (secret === "") continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
  }
  return [...forms].sort((a, b) => b.length - a.length);
}

/**
 * `"Name: message"` for an error, `String(value)` for anything else.
 *
 * @example
 * ```ts
 * import { describeError } from "@harmony/fleet/agent";
 * describeError(new TypeError("bad")); // "TypeError: bad"
 * ```
 */
export function describeError(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  return String(value);
}
