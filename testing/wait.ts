// Waiting for a condition with a deadline: the one way tests synchronise.

/** Options of {@linkcode waitFor}. */
export interface WaitForOptions {
  /** Give up after this long. @default {10_000} */
  timeoutMs?: number;
  /** Pause between two checks. @default {10} */
  intervalMs?: number;
}

/**
 * Checks `condition` until it returns (or resolves to) something other than
 * `undefined` or `false`, and resolves with that; throws
 * `Timed out after <ms> ms waiting for <what>` once `timeoutMs` has passed.
 * A condition that throws or rejects ends the wait with its error.
 *
 * @example
 * ```ts ignore
 * const ready = await waitFor("ready", () => logs.find((l) => l.event === "ready"));
 * await waitFor("a disconnect", () => seen.includes("disconnect"), { timeoutMs: 5_000 });
 * ```
 */
export async function waitFor<T>(
  what: string,
  condition: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<Exclude<T, undefined | false>> {
  const { timeoutMs = 10_000, intervalMs = 10 } = options;
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await condition();
    if (value !== undefined && value !== false) {
      return value as Exclude<T, undefined | false>;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
