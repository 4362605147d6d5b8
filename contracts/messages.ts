import type { ErrorKind } from "./error_kinds.ts";
import type { PingReply } from "./_ping_fields.ts";
import type { DeviceLabels } from "./labels.ts";

export { Runtime } from "./runtime.ts";

/** Body of every error reply; the headers carry the same code and message. */
export interface ErrorReply {
  /** What went wrong, as a machine-readable kind. */
  kind: ErrorKind;
  /** What went wrong, for people. */
  message: string;
}

/**
 * Published by every agent on `device-heartbeat.<id>` at a fixed interval.
 * `labels` and `interval_s` were added later: absent from older agents'
 * heartbeats (readers then take no labels and the default interval, 10 s).
 */
export interface Heartbeat extends PingReply {
  /** When it was sent: RFC 3339, UTC. */
  ts: string;
  /** The device's labels (`[agent] labels`), when it has any. */
  labels?: DeviceLabels;
  /** Seconds between this agent's heartbeats (`[agent] heartbeat_interval_s`). */
  interval_s?: number;
}
