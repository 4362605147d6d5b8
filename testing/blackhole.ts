/**
 * A TCP port on 127.0.0.1 whose connects hang, as to a host that drops
 * packets: for tests of connect timeouts.
 *
 * @module
 */
import { waitFor } from "./wait.ts";

/** What {@linkcode openBlackhole} gives. */
export interface Blackhole extends AsyncDisposable {
  /** The port whose connects hang. */
  port: number;
  /**
   * Accepts every connect queued, so a pending dial completes, and waits
   * until `count` of them have sent bytes (e.g. started a TLS handshake).
   */
  drain(count: number): Promise<void>;
}

/**
 * Opens a TCP port whose connects hang: a listener that accepts nothing,
 * its backlog filled, so a new SYN gets no answer (as from a host that
 * drops packets). `drain()` accepts everything queued, so a pending dial then
 * completes, and waits until `count` of those dials have started a TLS
 * handshake (sent bytes). Disposing closes every socket of the listener.
 *
 * @example
 * ```ts ignore
 * import { openBlackhole } from "./blackhole.ts";
 * await using hole = await openBlackhole();
 * await connect({ servers: `127.0.0.1:${hole.port}`, timeout: 1_000 }); // times out
 * ```
 */
export async function openBlackhole(): Promise<Blackhole> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr;
  const fillers: Deno.Conn[] = [];
  while (true) {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 200);
    try {
      fillers.push(
        await Deno.connect({
          hostname: "127.0.0.1",
          port,
          signal: abort.signal,
        }),
      );
    } catch {
      break;
    } finally {
      clearTimeout(timer);
    }
  }
  const accepted: Deno.Conn[] = [];
  const reading: Promise<void>[] = [];
  let hellos = 0;
  let accepting: Promise<void> | undefined;
  return {
    port,
    async drain(count: number): Promise<void> {
      for (const conn of fillers.splice(0)) conn.close();
      accepting = (async () => {
        for await (const conn of listener) {
          accepted.push(conn);
          reading.push(
            conn.read(new Uint8Array(4096)).then(
              (n) => void (n !== null && hellos++),
              () => {},
            ),
          );
        }
      })();
      await waitFor(
        `${count} dial(s) to reach the peer`,
        () => hellos >= count,
        {
          timeoutMs: 60_000,
        },
      );
    },
    async [Symbol.asyncDispose]() {
      for (const conn of fillers) conn.close();
      listener.close();
      await accepting?.catch(() => {});
      for (const conn of accepted) conn.close();
      await Promise.all(reading);
    },
  };
}
