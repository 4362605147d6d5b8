/**
 * Joining a read's demultiplexed chunks into fewer, larger ones. Pure.
 * Private to `podman/`.
 */
import type { StreamChunk } from "./frames.ts";

/**
 * Joins each run of adjacent chunks of the same stream into one chunk (the
 * bytes in order; chunks of different streams keep their order). Every
 * returned chunk's bytes are a fresh copy, so the input may be a read
 * buffer that is reused afterwards.
 */
export function joinRuns(chunks: readonly StreamChunk[]): StreamChunk[] {
  const joined: StreamChunk[] = [];
  let start = 0;
  while (start < chunks.length) {
    const { stream } = chunks[start];
    let end = start;
    let length = 0;
    while (end < chunks.length && chunks[end].stream === stream) {
      length += chunks[end++].data.length;
    }
    const data = new Uint8Array(length);
    let offset = 0;
    for (let i = start; i < end; i++) {
      data.set(chunks[i].data, offset);
      offset += chunks[i].data.length;
    }
    joined.push({ stream, data });
    start = end;
  }
  return joined;
}
