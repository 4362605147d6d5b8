/**
 * The DNS resolver registered with nats-core, so that it dials each address
 * of a host name in turn (shuffled unless `noRandomize`) and `resolve: true`
 * works.
 *
 * @module
 */

/** How long a lookup may take before the name is dialled as it is. */
export const DNS_TIMEOUT_MS = 5_000;

/**
 * The addresses of `hostname`: its IPv4 (A) records, then its IPv6 (AAAA)
 * records, from `Deno.resolveDns` (which reads `/etc/hosts` and the system's
 * name servers). When neither answers within {@linkcode DNS_TIMEOUT_MS},
 * returns `[hostname]`, so the dial resolves it the system's way and its
 * error says why the name does not work. Never rejects.
 */
export async function resolveHost(hostname: string): Promise<string[]> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), DNS_TIMEOUT_MS);
  try {
    const answers = await Promise.allSettled(
      (["A", "AAAA"] as const).map((type) =>
        Deno.resolveDns(hostname, type, { signal: abort.signal })
      ),
    );
    const addresses = answers.flatMap((answer) =>
      answer.status === "fulfilled" ? answer.value : []
    );
    return addresses.length > 0 ? addresses : [hostname];
  } finally {
    clearTimeout(timer);
  }
}
