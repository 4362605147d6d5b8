// The container command of the logs bench: a log of an exactly known size,
// then an idle process (so the same container serves the exec bench).

/** Bytes per log line (99 characters and a newline). */
export const LOG_LINE_BYTES = 100;

/** Options of {@linkcode logWorkload}. */
export interface LogWorkloadOptions {
  /**
   * Shell command run once the log is written.
   *
   * @default {"exec sleep 3600"}
   */
  then?: string;
}

/** What {@linkcode logWorkload} returns. */
export interface LogWorkload {
  /** The container's argv (`sh -c …`, busybox applets only). */
  cmd: string[];
  /** The log's last line, written after all the others. */
  endLine: string;
}

/**
 * A command that writes `totalBytes` to stdout as 100-byte lines
 * (`yes | head -c`), the last one {@linkcode LogWorkload.endLine}, then
 * runs `then`. Seeing the end line in `podman logs --tail 1` says the log
 * is complete.
 *
 * @throws {RangeError} unless `totalBytes` is a positive multiple of
 *   {@linkcode LOG_LINE_BYTES}.
 * @example
 * ```ts
 * import { logWorkload } from "./_log_workload.ts";
 * const { cmd } = logWorkload(50 * 2 ** 20);
 * cmd[0]; // "sh"
 * ```
 */
export function logWorkload(
  totalBytes: number,
  options: LogWorkloadOptions = {},
): LogWorkload {
  const { then = "exec sleep 3600" } = options;
  if (
    !Number.isSafeInteger(totalBytes) || totalBytes < LOG_LINE_BYTES ||
    totalBytes % LOG_LINE_BYTES !== 0
  ) {
    throw new RangeError(
      `Invalid log size ${totalBytes}: expected a positive multiple of ${LOG_LINE_BYTES} bytes`,
    );
  }
  const width = LOG_LINE_BYTES - 1;
  const endLine = `end${"0".repeat(width - 3)}\n`;
  const body = totalBytes - LOG_LINE_BYTES;
  return {
    cmd: [
      "sh",
      "-c",
      `yes "$(printf %0${width}d 7)" | head -c ${body}; printf 'end%0${
        width - 3
      }d\\n' 0; ${then}`,
    ],
    endLine,
  };
}
