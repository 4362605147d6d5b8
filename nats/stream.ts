/**
 * Streamed replies (wire protocol v2) over a NATS connection: the sending
 * side ({@linkcode StreamSender}, bound to one request's reply subject) and
 * the receiving side ({@linkcode requestStream} → {@linkcode StreamReader},
 * which checks `X-Harmony-Seq`, ends at the terminal message, sends
 * `cancel` when the consumer breaks out and `keepalive` for `follow`
 * streams), with their errors.
 *
 * @example
 * ```ts ignore
 * import { requestStream, StreamSender } from "@harmony/fleet/nats";
 * ```
 *
 * @module
 */
export * from "./stream_errors.ts";
export * from "./stream_receiver.ts";
export * from "./stream_sender.ts";
export type {
  EndReason,
  ErrorKind,
  StreamChunk,
  StreamEnd,
  StreamName,
} from "../contracts/mod.ts";
