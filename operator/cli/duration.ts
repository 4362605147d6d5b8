import { InvalidArgumentError } from "commander";
import { MAX_TIMEOUT_MS } from "../timeout.ts";

/**
 * Thrown by {@linkcode parseDuration} for text that is not a duration.
 *
 * @example
 * ```ts
 * import { DurationSyntaxError, parseDuration } from "./duration.ts";
 * try {
 *   parseDuration("soon");
 * } catch (error) {
 *   error instanceof DurationSyntaxError; // true
 * }
 * ```
 */
export class DurationSyntaxError extends TypeError {
  /** The text that was rejected. */
  readonly text: string;

  /** Builds the error for `text`. */
  constructor(text: string) {
    super(
      `Invalid duration ${
        JSON.stringify(text)
      }: expected a positive number with a unit (ms, s, m, h), e.g. 5s or 500ms, or plain milliseconds`,
    );
    this.name = "DurationSyntaxError";
    this.text = text;
  }
}

const DURATION = /^(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)?$/;
const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Parses a duration as the CLI's `--timeout` takes it: a number with a unit
 * (`ms`, `s`, `m`, `h`: `500ms`, `5s`, `1.5s`, `2m`) or a plain number of
 * milliseconds (`2000`). Fractions are allowed, as in Go durations (what
 * the `nats` CLI takes); the result is whole milliseconds, rounded up
 * (`1.2345s` → 1235), and greater than 0. No upper bound here: see
 * `checkTimeoutMs`.
 *
 * @throws {DurationSyntaxError} for anything else (`0`, `-1s`, `5 s`, `soon`).
 * @example
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * parseDuration("5s"); // 5000
 * parseDuration("250"); // 250
 * parseDuration("2500.25ms"); // 2501
 * ```
 */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (match === null) throw new DurationSyntaxError(text);
  const ms = Number(match[1]) * UNIT_MS[match[2] ?? "ms"];
  if (!(ms > 0) || !Number.isFinite(ms)) throw new DurationSyntaxError(text);
  return Math.ceil(ms);
}

/**
 * Parses the CLI's `--timeout` for commander: {@linkcode parseDuration},
 * then at most `MAX_TIMEOUT_MS` (24h).
 *
 * @throws {InvalidArgumentError} (commander's, giving exit code 2) saying
 *   what is expected.
 * @example
 * ```ts
 * import { parseTimeoutOption } from "./duration.ts";
 * parseTimeoutOption("1.2345s"); // 1235
 * ```
 */
export function parseTimeoutOption(value: string): number {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (error) {
    if (error instanceof DurationSyntaxError) {
      throw new InvalidArgumentError(
        "expected a duration greater than 0 such as 5s, 500ms or 2000 (milliseconds).",
      );
    }
    throw error;
  }
  if (ms > MAX_TIMEOUT_MS) {
    throw new InvalidArgumentError(
      `it is ${ms} ms; the timeout can be at most 24h (${MAX_TIMEOUT_MS} ms).`,
    );
  }
  return ms;
}
