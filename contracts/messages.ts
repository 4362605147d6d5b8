import type { ErrorKind } from "./error_kinds.ts";
import type { PingReply } from "./verbs/ping.ts";

/**
 * What an agent reports as its container runtime.
 *
 * @example
 * ```ts
 * import { Runtime } from "@harmony/fleet/contracts";
 * Runtime.Disabled; // "disabled"
 * ```
 */
export const Runtime = {
  /** The agent manages podman containers. */
  Podman: "podman",
  /** `runtime_enabled = false`: no container runtime; container verbs answer `unsupported`. */
  Disabled: "disabled",
} as const;

/** One of the values of {@linkcode Runtime}. */
export type Runtime = typeof Runtime[keyof typeof Runtime];

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
