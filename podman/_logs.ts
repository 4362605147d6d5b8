/**
 * Reading a container's log stream. Private to `podman/`.
 */
import { FrameDemuxer, FrameStreamError, type StreamChunk } from "./frames.ts";
import { PodmanStreamError } from "./errors.ts";
import type { LogsQuery } from "./logs_query.ts";
import { describe, type Transport } from "./_transport.ts";

/**
 * Requests `GET /libpod/containers/{name}/logs` and yields its
 * demultiplexed chunks. Whatever ends the loop (the end of the log, an
 * error, the consumer breaking out, `signal`) aborts the request, so no
 * response body is left open.
 */
export async function* readLogs(
  transport: Transport,
  nameOrId: string,
  query: LogsQuery,
  options: { signal?: AbortSignal; check?: () => Promise<void> },
): AsyncGenerator<StreamChunk, void, undefined> {
  const { signal } = options;
  const controller = new AbortController();
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const spec = {
    path: `/containers/${encodeURIComponent(nameOrId)}/logs`,
    query,
    signal: controller.signal,
    action: `Cannot read the logs of container ${JSON.stringify(nameOrId)}`,
  };
  const streamError = (problem: string, cause: unknown) =>
    new PodmanStreamError(spec.action, problem, {
      socket: transport.socket,
      endpoint: transport.endpoint(spec),
      cause,
    });
  try {
    signal?.throwIfAborted();
    await options.check?.();
    const response = await transport.request(spec);
    if (response.body === null) return;
    const reader = response.body.getReader();
    const demuxer = new FrameDemuxer();
    try {
      while (true) {
        let result: ReadableStreamReadResult<Uint8Array>;
        try {
          result = await reader.read();
        } catch (cause) {
          signal?.throwIfAborted();
          throw streamError(describe(cause), cause);
        }
        if (result.done) break;
        let chunks: StreamChunk[];
        try {
          chunks = demuxer.push(result.value);
        } catch (cause) {
          if (cause instanceof FrameStreamError) {
            throw streamError(cause.message, cause);
          }
          throw cause;
        }
        yield* chunks;
      }
      try {
        demuxer.end();
      } catch (cause) {
        throw streamError(describe(cause), cause);
      }
    } finally {
      await reader.cancel().catch(() => {});
    }
  } finally {
    signal?.removeEventListener("abort", onAbort);
    controller.abort();
  }
}
