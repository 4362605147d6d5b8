/** Where the CLI writes text: standard output or standard error. */
export interface CliWriter {
  /** Writes `text` as is (the CLI adds its own newlines). */
  write(text: string): void;
}

/**
 * A {@linkcode CliWriter} onto a file such as `Deno.stdout`, writing
 * synchronously until every byte is out. Once the reader has gone (a
 * broken pipe, as in `fleet --help | head -1`) further output is dropped
 * rather than thrown, so the CLI still ends with its own exit code.
 *
 * @example
 * ```ts
 * import { fileWriter } from "./writer.ts";
 * const stderr = fileWriter(Deno.stderr);
 * stderr.write(""); // writes nothing
 * ```
 */
export function fileWriter(
  file: { writeSync(p: Uint8Array): number },
): CliWriter {
  const encoder = new TextEncoder();
  let readerGone = false;
  return {
    write(text: string): void {
      let bytes = encoder.encode(text);
      try {
        while (!readerGone && bytes.length > 0) {
          bytes = bytes.subarray(file.writeSync(bytes));
        }
      } catch (error) {
        if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
        readerGone = true;
      }
    },
  };
}
