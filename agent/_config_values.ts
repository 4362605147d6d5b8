// Helpers of the config readers (config.ts, _config_nats.ts): tables, and
// how a wrong value is described in an error. Private to agent/.

/** A TOML table. */
export type Table = Record<string, unknown>;

/** Throws the config error for `problem`, about `key` when given. */
export type Fail = (
  problem: string,
  key?: string,
  options?: ErrorOptions,
) => never;

/** Whether `value` is a TOML table (not an array, not a date). */
export function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null &&
    !Array.isArray(value) && !(value instanceof Date);
}

/**
 * What `value` is, for "got …" in an error: `a string ("x")`, `an integer
 * (5)`, `an array`. Only for values that are not secrets.
 */
export function describe(value: unknown): string {
  if (Array.isArray(value)) {
    return value.length === 0 ? "an empty array" : "an array";
  }
  if (value instanceof Date) return `a date (${value.toISOString()})`;
  if (isTable(value)) return "a table";
  if (typeof value === "string") return `a string (${JSON.stringify(value)})`;
  if (typeof value === "number") {
    return Number.isInteger(value)
      ? `an integer (${value})`
      : `a number (${value})`;
  }
  if (typeof value === "boolean") return `a boolean (${value})`;
  return String(value);
}

/** What `value` is, without quoting it: for values that may be secrets. */
export function describeType(value: unknown): string {
  if (typeof value === "string") {
    return value === "" ? "an empty string" : "a string";
  }
  if (typeof value === "number") {
    return Number.isInteger(value) ? "an integer" : "a number";
  }
  if (typeof value === "boolean") return "a boolean";
  return describe(value);
}
