import { MAX_EXEC_STDIN_BYTES } from "../../contracts/mod.ts";
import { CliUsageError } from "./errors.ts";

/**
 * Reads `stream` to its end for `fleet exec -i`: at most
 * `MAX_EXEC_STDIN_BYTES` (512 KiB), what one `exec` request can carry.
 * Stops reading (and releases the stream) as soon as there is more, or
 * when `signal` aborts (then it throws `signal.reason`).
 *
 * @throws {CliUsageError} naming `-i` when stdin holds more than the limit.
 * @example
 * ```ts ignore
 * import { readStdin } from "./stdin.ts";
 * const bytes = await readStdin(Deno.stdin.readable, signal);
 * ```
 */
export async function readStdin(
  stream: ReadableStream<Uint8Array>,
  signal: AbortSignal,
): Promise<Uint8Array> {
  signal.throwIfAborted();
  const reader = stream.getReader();
  const aborted = new Promise<never>((_, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    void reader.closed.finally(() =>
      signal.removeEventListener("abort", onAbort)
    ).catch(() => {});
  });
  aborted.catch(() => {});
  const parts: Uint8Array[] = [];
  let length = 0;
  try {
    while (true) {
      const { value, done } = await Promise.race([reader.read(), aborted]);
      if (done) break;
      length += value.length;
      if (length > MAX_EXEC_STDIN_BYTES) {
        throw new CliUsageError(
          `-i: stdin is more than ${MAX_EXEC_STDIN_BYTES} bytes (512 KiB), the most exec can send`,
          { source: "-i" },
        );
      }
      parts.push(value);
    }
  } finally {
    await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
