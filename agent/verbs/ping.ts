import {
  encodeJson,
  PACKAGE_VERSION,
  type PingReply,
  type Runtime,
} from "../../contracts/mod.ts";
import type { CommandHandler } from "../handler.ts";

/** What an agent says about itself in ping replies and heartbeats. */
export interface AgentIdentity {
  /** The device the agent answers for. */
  deviceId: string;
  /** The agent's container runtime. */
  runtime: Runtime;
  /**
   * When the agent started, in `performance.now()` milliseconds.
   *
   * @default {0} (the start of the process)
   */
  startedAt?: number;
}

/**
 * The agent's {@linkcode PingReply} now: `uptime_s` is whole seconds since
 * `identity.startedAt`.
 *
 * @example
 * ```ts
 * import { pingReply } from "@harmony/fleet/agent";
 * pingReply({ deviceId: "d1", runtime: "disabled" });
 * // { device_id: "d1", agent_version: "0.1.0", uptime_s: 0, runtime: "disabled" }
 * ```
 */
export function pingReply(identity: AgentIdentity): PingReply {
  return {
    device_id: identity.deviceId,
    agent_version: PACKAGE_VERSION,
    uptime_s: uptimeSeconds(identity),
    runtime: identity.runtime,
  };
}

function uptimeSeconds(identity: AgentIdentity): number {
  const elapsedMs = performance.now() - (identity.startedAt ?? 0);
  return Math.max(0, Math.floor(elapsedMs / 1000));
}

/**
 * The `ping` handler: answers with {@linkcode pingReply}, JSON-encoded. The
 * bytes change only when `uptime_s` does, so they are encoded once a second
 * at most and reused in between: a ping costs no object and no JSON.
 *
 * @example
 * ```ts
 * import { pingHandler } from "@harmony/fleet/agent";
 * const handlers = { ping: pingHandler({ deviceId: "d1", runtime: "disabled" }) };
 * ```
 */
export function pingHandler(identity: AgentIdentity): CommandHandler {
  let uptime = -1;
  let body: Uint8Array = new Uint8Array(0);
  return () => {
    const now = uptimeSeconds(identity);
    if (now !== uptime) {
      body = encodeJson(pingReply(identity));
      uptime = now;
    }
    return body;
  };
}
