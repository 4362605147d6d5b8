/**
 * The agent's verb handlers, one file each, and the registry of the
 * built-in ones. A new verb is a file here and one line in
 * {@linkcode defaultHandlers}.
 *
 * @module
 */
import type { CommandHandlers } from "../handler.ts";
import { cancelHandler } from "./cancel.ts";
import { keepaliveHandler } from "./keepalive.ts";
import { type AgentIdentity, pingHandler } from "./ping.ts";

export * from "./cancel.ts";
export * from "./keepalive.ts";
export * from "./ping.ts";

/**
 * The handlers every agent has: `ping`, `cancel` and `keepalive`. `logs`
 * and `exec` are not among them yet (they answer `unsupported`).
 *
 * @example
 * ```ts
 * import { defaultHandlers } from "@harmony/fleet/agent";
 * const handlers = defaultHandlers({ deviceId: "d1", runtime: "disabled" });
 * Object.keys(handlers); // ["ping", "cancel", "keepalive"]
 * ```
 */
export function defaultHandlers(identity: AgentIdentity): CommandHandlers {
  return {
    ping: pingHandler(identity),
    cancel: cancelHandler,
    keepalive: keepaliveHandler,
  };
}
