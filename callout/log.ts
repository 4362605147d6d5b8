/**
 * The callout's log: one JSON object per line on stderr,
 * `{"ts", "level", "event", …fields}`. Callers never pass a token, seed or
 * password; `Error` values are written as `"Name: message"`.
 *
 * @module
 */

/** Writes one event. */
export type CalloutLog = (
  level: "info" | "warn" | "error",
  event: string,
  fields?: Record<string, unknown>,
) => void;

/**
 * A {@linkcode CalloutLog} writing JSON lines to `write` (default: stderr).
 *
 * @example
 * ```ts
 * import { jsonLineLog } from "./log.ts";
 * const lines: string[] = [];
 * jsonLineLog((line) => lines.push(line))("info", "callout_ready", { queue_group: "q" });
 * JSON.parse(lines[0]).event; // "callout_ready"
 * ```
 */
export function jsonLineLog(
  write: (line: string) => void = (line) =>
    Deno.stderr.writeSync(new TextEncoder().encode(`${line}\n`)),
): CalloutLog {
  return (level, event, fields = {}) => {
    const out: Record<string, unknown> = {
      ts: new Date().toISOString(),
      level,
      event,
    };
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      out[key] = value instanceof Error
        ? `${value.name}: ${value.message}`
        : value;
    }
    write(JSON.stringify(out));
  };
}
