/**
 * Reading a container's log stream over a connection of its own: the
 * request goes out through {@linkcode sendRequest}, the body (chunked, of a
 * `Content-Length` or up to the close) is decoded here read by read, without
 * `fetch`, whose one-chunk-per-line delivery costs more than podman's
 * writing. Private to `podman/`.
 */
import { FrameDemuxer, FrameStreamError, type StreamChunk } from "./frames.ts";
import { PodmanStreamError } from "./errors.ts";
import type { LogsQuery } from "./logs_query.ts";
import { type BodyDecoder, bodyDecoder } from "./_http_body.ts";
import { HttpFramingError } from "./_http_error.ts";
import { closeQuietly, READ_SIZE, sendRequest } from "./_http1.ts";
import { joinRuns } from "./_join_runs.ts";
import { describe, type Transport } from "./_transport.ts";

/**
 * Requests `GET /libpod/containers/{name}/logs` and yields its
 * demultiplexed chunks, one per stream run of each read (the bytes are the
 * chunk's own). Whatever ends the loop (the end of the log, an error, the
 * consumer breaking out, `signal`) closes the connection at once, so no
 * request is left open; a body cut short is a {@linkcode PodmanStreamError},
 * never a quiet end.
 */
export async function* readLogs(
  transport: Transport,
  nameOrId: string,
  query: LogsQuery,
  options: { signal?: AbortSignal; check?: () => Promise<void> },
): AsyncGenerator<StreamChunk, void, undefined> {
  const { signal } = options;
  const spec = {
    path: `/containers/${encodeURIComponent(nameOrId)}/logs`,
    query,
    action: `Cannot read the logs of container ${JSON.stringify(nameOrId)}`,
  };
  const endpoint = transport.endpoint(spec);
  /** Runs `step`; its framing errors become a PodmanStreamError. */
  const framed = <T>(step: () => T): T => {
    try {
      return step();
    } catch (cause) {
      if (
        cause instanceof HttpFramingError || cause instanceof FrameStreamError
      ) {
        throw streamError(cause.message, cause);
      }
      throw cause;
    }
  };
  const streamError = (problem: string, cause: unknown) =>
    new PodmanStreamError(spec.action, problem, {
      socket: transport.socket,
      endpoint,
      cause,
    });
  signal?.throwIfAborted();
  await options.check?.();
  const { conn, head, rest } = await sendRequest({
    socket: transport.socket,
    method: "GET",
    target: endpoint.slice(endpoint.indexOf(" ") + 1),
    action: spec.action,
    signal,
  });
  const close = () => closeQuietly(conn);
  signal?.addEventListener("abort", close, { once: true });
  try {
    const body: BodyDecoder = framed(() => bodyDecoder(head));
    const demuxer = new FrameDemuxer();
    const buffer = new Uint8Array(READ_SIZE);
    let bytes = rest;
    while (true) {
      const chunks = framed(() => demux(body, demuxer, bytes));
      // joinRuns copies: the buffer is read into again after the yield.
      if (chunks.length > 0) yield* joinRuns(chunks);
      if (body.done) break;
      let n: number | null;
      try {
        signal?.throwIfAborted();
        n = await conn.read(buffer);
      } catch (cause) {
        signal?.throwIfAborted();
        throw streamError(describe(cause), cause);
      }
      if (n === null) {
        framed(() => body.end());
        break;
      }
      bytes = buffer.subarray(0, n);
    }
    framed(() => demuxer.end());
  } finally {
    signal?.removeEventListener("abort", close);
    close();
  }
}

/** The chunks of the frames in the body bytes of `bytes` (views into it). */
function demux(
  body: BodyDecoder,
  demuxer: FrameDemuxer,
  bytes: Uint8Array,
): StreamChunk[] {
  const parts = body.push(bytes);
  if (parts.length === 1) return demuxer.push(parts[0]);
  const chunks: StreamChunk[] = [];
  for (const part of parts) {
    for (const chunk of demuxer.push(part)) chunks.push(chunk);
  }
  return chunks;
}
