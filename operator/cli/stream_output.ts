import type { CommandStream } from "../command_stream.ts";
import { type CliWriter, writeBytesTo } from "./writer.ts";

/** How {@linkcode writeStream} ended. */
export type WriteStreamOutcome = "ended" | "output_closed";

/**
 * Writes a command stream's chunks as they come: remote stdout to
 * `stdout`, remote stderr to `stderr`, bytes as they are. Resolves
 * `"ended"` at the stream's end, or `"output_closed"` as soon as either
 * writer's reader has gone (then it leaves the loop, which sends
 * `cancel`). Throws what the stream throws.
 *
 * @example
 * ```ts ignore
 * import { writeStream } from "./stream_output.ts";
 * if (await writeStream(stream, { stdout, stderr }) === "ended") console.log(stream.end);
 * ```
 */
export async function writeStream(
  stream: CommandStream,
  writers: { stdout: CliWriter; stderr: CliWriter },
): Promise<WriteStreamOutcome> {
  const { stdout, stderr } = writers;
  const outDecoder = new TextDecoder();
  const errDecoder = new TextDecoder();
  for await (const chunk of stream) {
    if (chunk.stream === "stdout") {
      writeBytesTo(stdout, chunk.data, outDecoder);
    } else {
      writeBytesTo(stderr, chunk.data, errDecoder);
    }
    if (stdout.closed || stderr.closed) return "output_closed";
  }
  return "ended";
}
