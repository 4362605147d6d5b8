// What an agent reports as its container runtime: shared by the ping reply
// and the heartbeat.

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
