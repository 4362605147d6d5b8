/**
 * The agent's verb handlers, one file each, and the registry of the
 * built-in ones. A new verb is a file here and one line in
 * {@linkcode defaultHandlers}.
 *
 * @module
 */
import type { CommandHandlers } from "../handler.ts";
import { cancelHandler } from "./cancel.ts";
import { execHandler, type ExecPolicy } from "./exec.ts";
import { keepaliveHandler } from "./keepalive.ts";
import { type ContainerAccess, logsHandler } from "./logs.ts";
import { type AgentIdentity, pingHandler } from "./ping.ts";

export * from "./cancel.ts";
export * from "./exec.ts";
export * from "./keepalive.ts";
export * from "./logs.ts";
export * from "./ping.ts";

/** Options of {@linkcode defaultHandlers}. */
export interface DefaultHandlersOptions extends ContainerAccess {
  /**
   * The exec policy (`[exec]`).
   *
   * @default {{ enabled: true, allowHost: false }}
   */
  exec?: ExecPolicy;
}

/**
 * The handlers every agent has: `ping`, `cancel`, `keepalive`, `logs` and
 * `exec`. Without `options.podman`, `logs` and container `exec` answer
 * `unsupported`; host `exec` follows `options.exec` either way.
 *
 * @example
 * ```ts
 * import { defaultHandlers } from "@harmony/fleet/agent";
 * const handlers = defaultHandlers({ deviceId: "d1", runtime: "disabled" });
 * Object.keys(handlers); // ["ping", "cancel", "keepalive", "logs", "exec"]
 * ```
 */
export function defaultHandlers(
  identity: AgentIdentity,
  options: DefaultHandlersOptions = {},
): CommandHandlers {
  const access = {
    podman: options.podman,
    containerLabel: options.containerLabel,
  };
  return {
    ping: pingHandler(identity),
    cancel: cancelHandler,
    keepalive: keepaliveHandler,
    logs: logsHandler(access),
    exec: execHandler({ ...access, policy: options.exec }),
  };
}
