/** Where the CLI writes text: standard output or standard error. */
export interface CliWriter {
  /** Writes `text` as is (the CLI adds its own newlines). */
  write(text: string): void;
}

/**
 * A {@linkcode CliWriter} onto a file such as `Deno.stdout`, writing
 * synchronously until every byte is out.
 *
 * @example
 * ```ts
 * import { fileWriter } from "./cli_writer.ts";
 * const stderr = fileWriter(Deno.stderr);
 * stderr.write(""); // writes nothing
 * ```
 */
export function fileWriter(
  file: { writeSync(p: Uint8Array): number },
): CliWriter {
  const encoder = new TextEncoder();
  return {
    write(text: string): void {
      let bytes = encoder.encode(text);
      while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
    },
  };
}
