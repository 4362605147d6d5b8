// Command-line parsing of agent/main.ts, kept apart so it can be unit tested.
import { PACKAGE_VERSION } from "../contracts/mod.ts";
import { configKeysHelp } from "./_config_keys.ts";

export type ParsedArgs =
  | { kind: "run"; configPath: string }
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "usage_error"; message: string };

export const USAGE =
  `fleet-agent ${PACKAGE_VERSION}: answers device commands over NATS

Usage:
  deno run -A agent/main.ts --config <file>
  deno task agent --config <file>

Options:
  -c, --config <file>  the agent's TOML config (required)
  -h, --help           print this help and exit
  -V, --version        print the version and exit

${configKeysHelp()}

Logs: one JSON object per line on stderr:
  {"ts":"<RFC 3339 UTC>","level":"debug|info|warn|error","event":"<name>","device_id":"<id>",...}
  "ready" is logged once the command subscription is confirmed by the server.
  A failed command, and every command of a verb other than ping, gets a
  "command" line at info (subject, verb, request_id, operator_sub, outcome,
  message, duration_ms; for logs and exec also container, bytes, end and,
  for exec, host, argv, workdir, env_names, stdin_bytes, exit_code: never
  stdin's bytes or env values); a successful ping gets it at debug only. Every
  command is counted: a "commands" line at info, every 60 s while commands
  come and once at stop, gives the counts per verb and outcome:
  {"event":"commands","since":"<ts>","total":N,"counts":{"ping":{"ok":N}}}.
  No line carries a password or token.

Signals: SIGTERM or SIGINT stops taking new requests, ends open streams
(logs, exec) with "cancelled", killing their commands, finishes the other
requests in flight (10 s at most), drains the NATS connection and exits 0. The same
signal again within 1 s counts as the same one (a terminal's Ctrl-C reaches
the agent twice under \`deno task\`); a signal after that, or a different
one, exits at once with 1.

Exit codes:
  0  stopped by SIGTERM/SIGINT (or --help, --version)
  1  unexpected internal error, or a second signal forced the exit
  2  bad usage, invalid config (missing file, bad value, unknown key, a
     server URL that can never work, a creds file missing or malformed, a
     tls_* file missing or not PEM, tls_cert_file without
     tls_handshake_first = true), or runtime_enabled = true and no podman API
     socket answers (set [runtime] socket or CONTAINER_HOST, start
     \`podman system service\`, or set runtime_enabled = false)
  3  NATS authentication failed
  4  NATS refused the command subscription or closed the connection for good
`;

export function parseArgs(args: readonly string[]): ParsedArgs {
  let configPath: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "-h" || arg === "--help") return { kind: "help" };
    if (arg === "-V" || arg === "--version") return { kind: "version" };
    let value: string | undefined;
    if (arg === "-c" || arg === "--config") {
      value = args[++i];
      if (value === undefined || value === "") {
        return { kind: "usage_error", message: `option ${arg} needs a file` };
      }
    } else if (arg.startsWith("--config=")) {
      value = arg.slice("--config=".length);
      if (value === "") {
        return { kind: "usage_error", message: "option --config needs a file" };
      }
    } else {
      return {
        kind: "usage_error",
        message: arg.startsWith("-")
          ? `unknown option ${JSON.stringify(arg)}`
          : `unexpected argument ${JSON.stringify(arg)}`,
      };
    }
    if (configPath !== undefined) {
      return { kind: "usage_error", message: "option --config given twice" };
    }
    configPath = value;
  }
  if (configPath === undefined) {
    return { kind: "usage_error", message: "missing --config <file>" };
  }
  return { kind: "run", configPath };
}
