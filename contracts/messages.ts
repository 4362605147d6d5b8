import type { ErrorKind } from "./error_kinds.ts";
import type { PingReply } from "./_ping_fields.ts";

export { Runtime } from "./runtime.ts";

/** Body of every error reply; the headers carry the same code and message. */
export interface ErrorReply {
  /** What went wrong, as a machine-readable kind. */
  kind: ErrorKind;
  /** What went wrong, for people. */
  message: string;
}

/** Published by every agent on `device-heartbeat.<id>` at a fixed interval. */
export interface Heartbeat extends PingReply {
  /** When it was sent: RFC 3339, UTC. */
  ts: string;
}
