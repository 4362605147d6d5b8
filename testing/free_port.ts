/**
 * A TCP port that was free a moment ago on `hostname`: bound with port 0,
 * read, and released. Another process may take it before it is used again,
 * so callers that bind it must be ready to retry.
 */
export function pickFreePort(hostname = "127.0.0.1"): number {
  const listener = Deno.listen({ hostname, port: 0, transport: "tcp" });
  try {
    return (listener.addr as Deno.NetAddr).port;
  } finally {
    listener.close();
  }
}
