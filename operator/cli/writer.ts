/** Where the CLI writes: standard output or standard error. */
export interface CliWriter {
  /** Writes `text` as is (the CLI adds its own newlines). */
  write(text: string): void;
  /**
   * Writes bytes as they are (a remote command's output, which need not be
   * UTF-8). When absent, the bytes are decoded as UTF-8 (bad sequences
   * replaced) and passed to {@linkcode CliWriter.write}.
   */
  writeBytes?(bytes: Uint8Array): void;
  /**
   * `true` once the reader has gone (a broken pipe, as in
   * `fleet logs -f … | head`): `fleet logs` and `fleet exec` then stop
   * their stream. Absent: never.
   */
  readonly closed?: boolean;
}

/**
 * A {@linkcode CliWriter} onto a file such as `Deno.stdout`, writing
 * synchronously until every byte is out. Once the reader has gone (a
 * broken pipe, as in `fleet --help | head -1`) further output is dropped
 * rather than thrown, and `closed` turns `true`, so the CLI still ends
 * with its own exit code.
 *
 * @example
 * ```ts
 * import { fileWriter } from "./writer.ts";
 * const stderr = fileWriter(Deno.stderr);
 * stderr.write(""); // writes nothing
 * stderr.writeBytes(new Uint8Array()); // nor does this
 * ```
 */
export function fileWriter(
  file: { writeSync(p: Uint8Array): number },
): Required<CliWriter> {
  const encoder = new TextEncoder();
  let readerGone = false;
  const writeBytes = (data: Uint8Array): void => {
    let bytes = data;
    try {
      while (!readerGone && bytes.length > 0) {
        bytes = bytes.subarray(file.writeSync(bytes));
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
      readerGone = true;
    }
  };
  return {
    write: (text: string) => writeBytes(encoder.encode(text)),
    writeBytes,
    get closed(): boolean {
      return readerGone;
    },
  };
}

/**
 * Writes `bytes` to `writer`: with its `writeBytes` when it has one, else
 * decoded as UTF-8 through `decoder` (kept across calls, so a character
 * split between two chunks is decoded whole).
 *
 * @example
 * ```ts
 * import { writeBytesTo } from "./writer.ts";
 * let text = "";
 * const decoder = new TextDecoder();
 * writeBytesTo({ write: (t) => void (text += t) }, new Uint8Array([104, 105]), decoder);
 * text; // "hi"
 * ```
 */
export function writeBytesTo(
  writer: CliWriter,
  bytes: Uint8Array,
  decoder: TextDecoder,
): void {
  if (writer.writeBytes !== undefined) writer.writeBytes(bytes);
  else writer.write(decoder.decode(bytes, { stream: true }));
}
