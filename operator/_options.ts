// Checks of the client's command options, in the options' own names, before
// anything is sent. Private to operator/: logs.ts and exec.ts use them; the
// verb's decoder (run by openCommandStream) checks the rest.
import { parseRfc3339 } from "../contracts/mod.ts";

/** Says which command an option belongs to: `Cannot <verb> device "<id>"`. */
export interface OptionContext {
  verb: string;
  deviceId: string;
}

function prefix(context: OptionContext): string {
  return `Cannot ${context.verb} device ${JSON.stringify(context.deviceId)}`;
}

/** A value as messages quote it. */
export function describe(value: unknown): string {
  if (typeof value === "string") {
    return JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value);
  }
  if (typeof value === "number" || typeof value === "boolean") {
    return String(value);
  }
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : typeof value;
}

/** A `TypeError` for option `name` of the command: `message` says what was expected. */
export function optionTypeError(
  context: OptionContext,
  message: string,
): TypeError {
  return new TypeError(`${prefix(context)}: ${message}`);
}

/** A `RangeError` for option `name` of the command. */
export function optionRangeError(
  context: OptionContext,
  message: string,
): RangeError {
  return new RangeError(`${prefix(context)}: ${message}`);
}

/** An optional integer of at least `min`. */
export function optionalInteger(
  context: OptionContext,
  name: string,
  value: unknown,
  min: 0 | 1,
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "number") {
    throw optionTypeError(
      context,
      `option "${name}" must be a number, got ${describe(value)}`,
    );
  }
  if (!Number.isSafeInteger(value) || value < min) {
    throw optionRangeError(
      context,
      `option "${name}" must be an integer of at least ${min}, got ${value}`,
    );
  }
  return value;
}

/** An optional boolean. */
export function optionalBoolean(
  context: OptionContext,
  name: string,
  value: unknown,
): boolean | undefined {
  if (value === undefined || typeof value === "boolean") return value;
  throw optionTypeError(
    context,
    `option "${name}" must be a boolean, got ${describe(value)}`,
  );
}

/**
 * An optional time, a `Date` or an RFC 3339 string: the RFC 3339 text to
 * send (a `Date` as `toISOString()`) and its epoch milliseconds.
 */
export function optionalTime(
  context: OptionContext,
  name: string,
  value: unknown,
): { text: string; ms: number } | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Date) {
    const ms = value.getTime();
    const text = Number.isNaN(ms) ? "" : value.toISOString();
    if (parseRfc3339(text) === undefined) {
      throw optionRangeError(
        context,
        Number.isNaN(ms)
          ? `option "${name}" is an invalid Date`
          : `option "${name}" is a Date outside the years 0000–9999: ${text}`,
      );
    }
    return { text, ms };
  }
  if (typeof value !== "string") {
    throw optionTypeError(
      context,
      `option "${name}" must be a Date or a string (RFC 3339), got ${
        describe(value)
      }`,
    );
  }
  const ms = parseRfc3339(value);
  if (ms === undefined) {
    throw optionRangeError(
      context,
      `option "${name}" must be a Date or an RFC 3339 date-time (e.g. "2026-11-27T18:00:00Z"), got ${
        describe(value)
      }`,
    );
  }
  return { text: value, ms };
}
