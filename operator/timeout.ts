/**
 * The longest timeout a command waits for its reply, and the longest the
 * `fleet` CLI's `--timeout` takes: 24 hours (86,400,000 ms). Far below
 * 2^31 ms (about 24.8 days), where JavaScript timers overflow and fire at
 * once.
 *
 * @example
 * ```ts
 * import { MAX_TIMEOUT_MS } from "./timeout.ts";
 * MAX_TIMEOUT_MS; // 86400000
 * ```
 */
export const MAX_TIMEOUT_MS = 86_400_000;

/**
 * Checks a timeout in milliseconds and returns it as whole milliseconds:
 * greater than 0, at most {@linkcode MAX_TIMEOUT_MS}; a fraction is
 * rounded up (a timeout is never shorter than asked), so a deadline
 * computed from it is an integer.
 *
 * @throws {RangeError} for 0, a negative number, `NaN`, an infinity or more
 *   than the maximum; the message quotes the value.
 * @example
 * ```ts
 * import { checkTimeoutMs } from "./timeout.ts";
 * checkTimeoutMs(1000.5); // 1001
 * ```
 */
export function checkTimeoutMs(timeoutMs: number): number {
  if (!(timeoutMs > 0) || !(timeoutMs <= MAX_TIMEOUT_MS)) {
    throw new RangeError(
      `Invalid timeout ${timeoutMs} ms: expected more than 0 and at most ${MAX_TIMEOUT_MS} ms (24 h)`,
    );
  }
  return Math.ceil(timeoutMs);
}
