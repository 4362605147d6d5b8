/**
 * Exit codes of the callout process (`callout/main.ts`).
 *
 * | code | meaning |
 * | --- | --- |
 * | 0 | stopped by SIGTERM/SIGINT; or `--help`/`--version` |
 * | 1 | unexpected internal error, or NATS closed the connection for good |
 * | 2 | bad usage or invalid config (missing file, bad value, unknown key, a seed file missing or of the wrong kind) |
 * | 3 | NATS refused the `auth_users` credentials |
 *
 * @example
 * ```ts
 * import { CalloutExitCode } from "./exit_codes.ts";
 * CalloutExitCode.Config; // 2
 * ```
 */
export const CalloutExitCode = {
  /** Stopped cleanly. */
  Ok: 0,
  /** Internal error or connection closed for good. */
  Internal: 1,
  /** Bad usage or invalid config. */
  Config: 2,
  /** NATS authentication failed. */
  Authentication: 3,
} as const;

/** One of the values of {@linkcode CalloutExitCode}. */
export type CalloutExitCode =
  typeof CalloutExitCode[keyof typeof CalloutExitCode];
