/**
 * Exit codes of the `fleet` CLI, also listed in its `--help`.
 *
 * `fleet ping`:
 *
 * | code | name | when |
 * | --- | --- | --- |
 * | 0 | `Ok` | every device answered |
 * | 1 | `NotAllAnswered` | some device was offline, timed out, answered with an error or with a bad reply |
 * | 2 | `Usage` | bad command line: unknown command or flag, bad flag value, invalid device id, glob or label selector, a glob, `--all` or `-l` that matches no known device (or no device registry to match against), malformed `--server` or `NATS_URL`, unreadable, missing or empty `--creds` or `--token-file` file, TLS file missing or not PEM (`--tlsca`, `--tlscert`, `--tlskey`), half a client certificate or one without `--tlsfirst`, missing or malformed context file |
 * | 3 | `Connection` | cannot connect to NATS (unreachable, authentication failed, TLS failed) or the connection failed during the command |
 * | 4 | `Internal` | an unexpected error, i.e. a bug in `fleet` |
 *
 * `fleet exec` exits with the remote command's exit code (0–255), as
 * `ssh` and `kubectl exec` do; `fleet logs` with 0 once the log was sent.
 * Their own failures use codes of the `docker run` and GNU `timeout`
 * family, the same for both commands, so that they are told apart from
 * the common exit codes of commands (1, 2, 126, 127, 128 + a signal):
 *
 * | code | name | when |
 * | --- | --- | --- |
 * | 124 | `TimedOut` | no reply in time, or the agent stopped the command at its deadline (`--timeout`) |
 * | 125 | `Failed` | anything else that kept fleet from giving a complete result: usage error (nothing sent), cannot connect, device offline, the agent's error reply, output lost or stopped without its end, `exec` output cut at `--limit-bytes` (no exit code), a bad reply, a bug |
 * | 130 | `Interrupted` | Ctrl-C (SIGINT): `cancel` was sent, the agent stopped |
 * | 141 | `BrokenPipe` | stdout or stderr was closed by its reader (`… \| head`): `cancel` was sent |
 * | 143 | `Terminated` | SIGTERM: `cancel` was sent |
 *
 * @example
 * ```ts ignore
 * import { ExitCode, runCli } from "@harmony/fleet/operator";
 * const code = await runCli(["ping", "vm-device-00"]);
 * if (code === ExitCode.NotAllAnswered) console.log("some device is down");
 * ```
 */
export const ExitCode = {
  /** Every device answered (`ping`); the log was sent (`logs`). */
  Ok: 0,
  /** `ping`: some device was offline, timed out, or answered with an error or a bad reply. */
  NotAllAnswered: 1,
  /** `ping`: bad command line: unknown command or flag, bad value, invalid device id, malformed server URL, unreadable `.creds`, token, TLS or context file. */
  Usage: 2,
  /** `ping`: cannot connect to NATS (unreachable, authentication failed, TLS failed), or the connection failed. */
  Connection: 3,
  /** `ping`: an unexpected error: a bug in `fleet`. */
  Internal: 4,
  /** `logs`, `exec`: no reply in time, or the agent stopped the command at its deadline. */
  TimedOut: 124,
  /** `logs`, `exec`: any other failure of fleet's own (usage, connection, offline, error reply, interrupted stream, output cut without exit code, bug). */
  Failed: 125,
  /** `logs`, `exec`: Ctrl-C (SIGINT); `cancel` was sent. */
  Interrupted: 130,
  /** `logs`, `exec`: the reader of stdout or stderr went away; `cancel` was sent. */
  BrokenPipe: 141,
  /** `logs`, `exec`: SIGTERM; `cancel` was sent. */
  Terminated: 143,
} as const;

/** One of the values of {@linkcode ExitCode}. */
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

/** The `--help` text describing the exit codes of `fleet ping`. */
export const EXIT_CODES_HELP: string = [
  "Exit codes:",
  "  0  every device answered",
  "  1  some device did not answer (offline, timed out) or answered with an error",
  "  2  usage error: unknown command or flag, bad value, invalid device id,",
  "     glob or selector, a glob, --all or -l that matches no known device",
  "     (or no device registry), malformed --server or NATS_URL, unreadable",
  "     --creds file, missing or empty --token-file, TLS file missing or not",
  "     PEM, half a client certificate or one without --tlsfirst, missing or",
  "     malformed context file",
  "  3  cannot connect to NATS (unreachable, authentication failed, TLS",
  "     failed: the message says what to fix), or the connection failed",
  "     during the command",
  "  4  internal error (a bug in fleet)",
].join("\n");

/** The `--help` text describing fleet's own exit codes of `logs` and `exec`. */
export const STREAM_EXIT_CODES_HELP: string = [
  "  124  timed out: no reply within --timeout, or the agent stopped the",
  "       command at its deadline",
  "  125  fleet failed (an error: line on stderr says why): usage error",
  "       (nothing sent; also a glob, --all or -l matching no device),",
  "       cannot connect, device offline, the agent's error",
  "       reply (not_found, forbidden, conflict, unsupported, …), output lost",
  "       or stopped without its end, exec output cut at --limit-bytes",
  "  130  Ctrl-C (SIGINT): cancel was sent, the agent stopped the command",
  "  141  stdout or stderr closed by its reader (| head): cancel was sent",
  "  143  SIGTERM: cancel was sent",
].join("\n");

/** The exit codes in `fleet logs --help`. */
export const LOGS_EXIT_CODES_HELP: string = [
  "Exit codes:",
  "  0    the log was sent to its end (or to --limit-bytes); with -f, the",
  "       container exited",
  STREAM_EXIT_CODES_HELP,
].join("\n");

/** The exit codes in `fleet exec --help`. */
export const EXEC_EXIT_CODES_HELP: string = [
  "Exit codes:",
  "  0-255  the remote command's exit code, as ssh and kubectl exec give it",
  "         (126: cannot run, 127: not found, 137: killed, ...)",
  "         with several devices (a glob, --all, -l): the largest of their",
  "         exit codes once every device ran it; else 124 when every device",
  "         that did not timed out, 125 otherwise",
  "  fleet's own outcomes use the codes below; its failures (124, 125)",
  '  always print an error: line on stderr (with --json: {"error": ...}',
  "  instead of the result), so a command exiting 124 or 125 is told apart:",
  STREAM_EXIT_CODES_HELP,
].join("\n");
