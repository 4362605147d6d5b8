/**
 * Exit codes of the agent process (`agent/main.ts`).
 *
 * | code | meaning |
 * | --- | --- |
 * | 0 | stopped by SIGTERM/SIGINT after finishing the requests in flight; or `--help`/`--version` |
 * | 1 | unexpected internal error (a bug), or a second SIGTERM/SIGINT (over 1 s after the first, or a different one) forced the exit during a graceful stop |
 * | 2 | bad usage, invalid config (missing file, bad value, unknown key, a server URL that can never work, a creds file missing or malformed, a `tls_*` file missing or not PEM, `tls_cert_file` without `tls_handshake_first = true`), or `runtime_enabled = true` without a podman API socket |
 * | 3 | NATS refused the credentials (authentication failed) |
 * | 4 | NATS refused the command subscription (permissions) or closed the connection for good |
 *
 * @example
 * ```ts
 * import { AgentExitCode } from "@harmony/fleet/agent";
 * AgentExitCode.Authentication; // 3
 * ```
 */
export const AgentExitCode = {
  /** Stopped cleanly. */
  Ok: 0,
  /** Unexpected internal error, or a second signal forced the exit. */
  Internal: 1,
  /** Bad usage, invalid config, or the required podman socket is missing. */
  Config: 2,
  /** NATS authentication failed. */
  Authentication: 3,
  /** NATS refused the subscription or closed the connection for good. */
  Nats: 4,
} as const;

/** One of the values of {@linkcode AgentExitCode}. */
export type AgentExitCode = typeof AgentExitCode[keyof typeof AgentExitCode];
