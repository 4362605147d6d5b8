import { InvalidArgumentError } from "commander";
import { parseRfc3339 } from "../../contracts/mod.ts";
import { DurationSyntaxError, parseDuration } from "./duration.ts";

const WHOLE = /^[0-9]+$/;

/**
 * Parses `--tail`: a whole number of lines, 0 or more.
 *
 * @throws {InvalidArgumentError} (commander's: a usage error naming the
 *   flag and the value) for anything else, `-1` included.
 * @example
 * ```ts
 * import { parseTail } from "./flags.ts";
 * parseTail("100"); // 100
 * ```
 */
export function parseTail(value: string): number {
  const n = WHOLE.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(
      "expected a whole number, 0 or more (leave --tail out for every line).",
    );
  }
  return n;
}

/**
 * Parses `--limit-bytes`: a whole number of bytes, 1 or more.
 *
 * @throws {InvalidArgumentError} for anything else.
 * @example
 * ```ts
 * import { parseLimitBytes } from "./flags.ts";
 * parseLimitBytes("65536"); // 65536
 * ```
 */
export function parseLimitBytes(value: string): number {
  const n = WHOLE.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError(
      "expected a whole number of bytes, 1 or more.",
    );
  }
  return n;
}

/**
 * Parses `--since` and `--until` as `docker logs` takes them: a duration
 * with a unit, meaning that long ago (`10m`, `1.5h`, `30s`, `500ms`), or
 * an RFC 3339 time, kept as written.
 *
 * @throws {InvalidArgumentError} for anything else (a bare number too:
 *   its unit would be a guess).
 * @example
 * ```ts
 * import { parseWhen } from "./flags.ts";
 * parseWhen("2026-11-27T18:00:00Z"); // "2026-11-27T18:00:00Z"
 * parseWhen("10m") instanceof Date; // true: ten minutes ago
 * ```
 */
export function parseWhen(value: string): Date | string {
  if (parseRfc3339(value) !== undefined) return value;
  if (/^[0-9.]+(ms|s|m|h)$/.test(value.trim())) {
    try {
      return new Date(Date.now() - parseDuration(value));
    } catch (error) {
      if (!(error instanceof DurationSyntaxError)) throw error;
    }
  }
  throw new InvalidArgumentError(
    "expected a duration with a unit such as 10m, 1.5h or 30s, or an RFC 3339 time such as 2026-11-27T18:00:00Z.",
  );
}

/**
 * Parses one `--env NAME=VALUE` and adds it to those before (repeatable,
 * a later one wins).
 *
 * @throws {InvalidArgumentError} without `=` or with an empty name.
 * @example
 * ```ts
 * import { parseEnvEntry } from "./flags.ts";
 * parseEnvEntry("B=x=y", { A: "1" }); // { A: "1", B: "x=y" }
 * ```
 */
export function parseEnvEntry(
  value: string,
  previous: Record<string, string> | undefined,
): Record<string, string> {
  const at = value.indexOf("=");
  if (at <= 0) {
    throw new InvalidArgumentError(
      "expected NAME=VALUE with a name, e.g. -e LANG=C.UTF-8.",
    );
  }
  return { ...previous, [value.slice(0, at)]: value.slice(at + 1) };
}
