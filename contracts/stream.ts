import type { ErrorKind } from "./error_kinds.ts";
import { Header } from "./headers.ts";
import { type HeaderLookup, readErrorReply } from "./error_reply.ts";
import { PayloadError } from "./payload_error.ts";

/**
 * Headers of streamed replies (`logs`, `exec`), besides
 * `X-Harmony-Request-Id`, which every message of a stream carries too.
 *
 * @example
 * ```ts
 * import { StreamHeader } from "@harmony/fleet/contracts";
 * StreamHeader.Seq; // "X-Harmony-Seq"
 * ```
 */
export const StreamHeader = {
  /** 1, 2, 3, … in the order sent, the terminal message included; on every message. */
  Seq: "X-Harmony-Seq",
  /** On data messages: `stdout` or `stderr`. */
  Stream: "X-Harmony-Stream",
  /** On the end message (empty body): why the stream ended, an {@linkcode EndReason}. */
  End: "X-Harmony-End",
  /** On `exec`'s end message when the process finished: its exit code, decimal. */
  ExitCode: "X-Harmony-Exit-Code",
} as const;

/** One of the values of {@linkcode StreamHeader}. */
export type StreamHeader = typeof StreamHeader[keyof typeof StreamHeader];

/**
 * The output a data message belongs to.
 *
 * @example
 * ```ts
 * import { StreamName } from "@harmony/fleet/contracts";
 * StreamName.Stderr; // "stderr"
 * ```
 */
export const StreamName = {
  /** Standard output. */
  Stdout: "stdout",
  /** Standard error. */
  Stderr: "stderr",
} as const;

/** One of the values of {@linkcode StreamName}. */
export type StreamName = typeof StreamName[keyof typeof StreamName];

/**
 * Why a stream ended, as its end message's `X-Harmony-End` says.
 *
 * @example
 * ```ts
 * import { EndReason } from "@harmony/fleet/contracts";
 * EndReason.Cancelled; // "cancelled"
 * ```
 */
export const EndReason = {
  /** Everything was sent (the log's end, the process's exit). */
  Eof: "eof",
  /** A `cancel` arrived (or the agent is shutting down). */
  Cancelled: "cancelled",
  /** A `follow` stream had no `keepalive` in time. */
  Abandoned: "abandoned",
  /** `limit_bytes` was reached; the data was cut exactly there. */
  Limit: "limit",
  /** The request's deadline passed. */
  Deadline: "deadline",
} as const;

/** One of the values of {@linkcode EndReason}. */
export type EndReason = typeof EndReason[keyof typeof EndReason];

/** Most data bytes in one message of a stream: 64 KiB. */
export const MAX_CHUNK_BYTES = 65_536;

/** A piece of a stream's data, tagged with its output. */
export interface StreamChunk {
  /** `stdout` or `stderr`. */
  stream: StreamName;
  /** The bytes, exactly as produced (binary-safe). */
  data: Uint8Array;
}

/** How a stream ended, from its end message. */
export interface StreamEnd {
  /** The `X-Harmony-End` reason. */
  reason: EndReason;
  /** `X-Harmony-Exit-Code`, when sent (`exec` whose process finished). */
  exitCode?: number;
}

/** A data message of a stream, as {@linkcode parseStreamMessage} reads it. */
export interface StreamDataMessage extends StreamChunk {
  /** Always `"data"`. */
  type: "data";
  /** Its `X-Harmony-Seq`. */
  seq: number;
}

/** The end message of a stream. */
export interface StreamEndMessage extends StreamEnd {
  /** Always `"end"`. */
  type: "end";
  /** Its `X-Harmony-Seq`. */
  seq: number;
}

/** An error reply that ends a stream. */
export interface StreamErrorMessage {
  /** Always `"error"`. */
  type: "error";
  /** Its `X-Harmony-Seq`, when it has one. */
  seq?: number;
  /** The error kind (body, else code). */
  kind: ErrorKind;
  /** The `Nats-Service-Error-Code`. */
  code: number;
  /** The agent's message. */
  message: string;
}

/** Any message of a stream. */
export type StreamMessage =
  | StreamDataMessage
  | StreamEndMessage
  | StreamErrorMessage;

const SEQ = /^[1-9][0-9]{0,15}$/;
const EXIT_CODE = /^[0-9]{1,10}$/;
const END_REASONS: ReadonlySet<string> = new Set(Object.values(EndReason));

/**
 * Reads and checks one message of a stream (not its sequence: that is
 * the receiver's): an error reply (`Nats-Service-Error-Code`; its
 * `X-Harmony-Seq` optional), an end message (`X-Harmony-End` with a known
 * reason, an empty body, an optional decimal `X-Harmony-Exit-Code`) or a
 * data message (`X-Harmony-Stream` `stdout` or `stderr`, 1 to
 * {@linkcode MAX_CHUNK_BYTES} bytes). Data and end messages need a
 * positive decimal `X-Harmony-Seq`.
 *
 * @throws {PayloadError} naming the header or body that is wrong.
 * @example
 * ```ts
 * import { parseStreamMessage } from "@harmony/fleet/contracts";
 * const headers = new Map([["X-Harmony-Seq", "2"], ["X-Harmony-End", "eof"]]);
 * parseStreamMessage((name) => headers.get(name), new Uint8Array());
 * // { type: "end", seq: 2, reason: "eof" }
 * ```
 */
export function parseStreamMessage(
  header: HeaderLookup,
  data: Uint8Array,
): StreamMessage {
  const seqText = header(StreamHeader.Seq) || undefined;
  if (header(Header.ServiceErrorCode)) {
    const error = readErrorReply(header, data);
    const message: StreamErrorMessage = { type: "error", ...error };
    if (seqText !== undefined) message.seq = parseSeq(seqText);
    return message;
  }
  if (seqText === undefined) {
    throw new PayloadError(
      `Stream message has no "${StreamHeader.Seq}" header`,
    );
  }
  const seq = parseSeq(seqText);
  const end = header(StreamHeader.End);
  if (end) {
    if (!END_REASONS.has(end)) {
      throw new PayloadError(
        `Stream end message header "${StreamHeader.End}" must be one of ${
          [...END_REASONS].map((r) => `"${r}"`).join(", ")
        }, got ${JSON.stringify(end)}`,
      );
    }
    if (data.length !== 0) {
      throw new PayloadError(
        `Stream end message must have an empty body, got ${data.length} bytes`,
      );
    }
    const message: StreamEndMessage = {
      type: "end",
      seq,
      reason: end as EndReason,
    };
    const exitCode = header(StreamHeader.ExitCode);
    if (exitCode) {
      if (!EXIT_CODE.test(exitCode)) {
        throw new PayloadError(
          `Stream end message header "${StreamHeader.ExitCode}" must be a non-negative decimal integer, got ${
            JSON.stringify(exitCode)
          }`,
        );
      }
      message.exitCode = Number(exitCode);
    }
    return message;
  }
  const stream = header(StreamHeader.Stream);
  if (stream !== StreamName.Stdout && stream !== StreamName.Stderr) {
    throw new PayloadError(
      `Stream data message header "${StreamHeader.Stream}" must be "stdout" or "stderr", got ${
        stream ? JSON.stringify(stream) : "nothing"
      }`,
    );
  }
  if (data.length === 0 || data.length > MAX_CHUNK_BYTES) {
    throw new PayloadError(
      `Stream data message must carry 1 to ${MAX_CHUNK_BYTES} bytes, got ${data.length}`,
    );
  }
  return { type: "data", seq, stream, data };
}

function parseSeq(text: string): number {
  if (!SEQ.test(text)) {
    throw new PayloadError(
      `Stream message header "${StreamHeader.Seq}" must be a positive decimal integer, got ${
        JSON.stringify(text)
      }`,
    );
  }
  return Number(text);
}
