/**
 * Exit codes of the `fleet` CLI, also listed in its `--help`:
 *
 * | code | name | when |
 * | --- | --- | --- |
 * | 0 | `Ok` | every device answered |
 * | 1 | `NotAllAnswered` | some device was offline, timed out, answered with an error or with a bad reply |
 * | 2 | `Usage` | bad command line: unknown command or flag, bad flag value, invalid device id, malformed `--server` or `NATS_URL`, unreadable `--creds` file, TLS file missing or not PEM (`--tlsca`, `--tlscert`, `--tlskey`), half a client certificate or one without `--tlsfirst`, missing or malformed context file |
 * | 3 | `Connection` | cannot connect to NATS (unreachable, authentication failed, TLS failed) or the connection failed during the command |
 * | 4 | `Internal` | an unexpected error, i.e. a bug in `fleet` |
 *
 * @example
 * ```ts ignore
 * import { ExitCode, runCli } from "@harmony/fleet/operator";
 * const code = await runCli(["ping", "vm-device-00"]);
 * if (code === ExitCode.NotAllAnswered) console.log("some device is down");
 * ```
 */
export const ExitCode = {
  /** Every device answered. */
  Ok: 0,
  /** Some device was offline, timed out, or answered with an error or a bad reply. */
  NotAllAnswered: 1,
  /** Bad command line: unknown command or flag, bad value, invalid device id, malformed server URL, unreadable `.creds`, TLS or context file. */
  Usage: 2,
  /** Cannot connect to NATS (unreachable, authentication failed, TLS failed), or the connection failed. */
  Connection: 3,
  /** An unexpected error: a bug in `fleet`. */
  Internal: 4,
} as const;

/** One of the values of {@linkcode ExitCode}. */
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

/** The `--help` text describing {@linkcode ExitCode}. */
export const EXIT_CODES_HELP: string = [
  "Exit codes:",
  "  0  every device answered",
  "  1  some device did not answer (offline, timed out) or answered with an error",
  "  2  usage error: unknown command or flag, bad value, invalid device id,",
  "     malformed --server or NATS_URL, unreadable --creds file, TLS file",
  "     missing or not PEM, half a client certificate or one without",
  "     --tlsfirst, missing or malformed context file",
  "  3  cannot connect to NATS (unreachable, authentication failed, TLS",
  "     failed: the message says what to fix), or the connection failed",
  "     during the command",
  "  4  internal error (a bug in fleet)",
].join("\n");
