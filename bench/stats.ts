/** Nearest-rank percentile of `samples` (any order); `p` in [0, 100]. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) {
    throw new RangeError("Cannot take a percentile of no samples");
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** The median (50th percentile) of `samples`. */
export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

/** Throughput of `bytes` read in `ms` milliseconds, in MiB (2^20 bytes) per second. */
export function mibPerSecond(bytes: number, ms: number): number {
  if (!(ms > 0)) {
    throw new RangeError(
      `Cannot compute a throughput over ${ms} ms: expected a positive duration`,
    );
  }
  return bytes / 2 ** 20 / (ms / 1000);
}
