import { Command, Option } from "commander";
import { PACKAGE_VERSION } from "../../contracts/mod.ts";
import { redactServerUrl } from "../../nats/mod.ts";
import { commandOf } from "./command_line.ts";
import { parseTimeoutOption } from "./duration.ts";
import { addExecCommand } from "./exec.ts";
import {
  EXIT_CODES_HELP,
  ExitCode,
  STREAM_EXIT_CODES_HELP,
} from "./exit_codes.ts";
import { CONNECTION_HELP } from "./help.ts";
import {
  PING_FAILURE_CODES,
  reportCliFailure,
  STREAM_FAILURE_CODES,
  wantsJson,
} from "./json_errors.ts";
import { addLogsCommand } from "./logs.ts";
import { addPingCommand } from "./ping.ts";
import { addDevicesCommand } from "./devices.ts";
import { addRegistryCommand } from "./registry.ts";
import type { ProgramContext } from "./program_context.ts";
import { DEFAULT_NATS_URL } from "./settings.ts";
import { type CliWriter, fileWriter } from "./writer.ts";

export type { CliWriter } from "./writer.ts";

/** Options of {@linkcode runCli}. */
export interface RunCliOptions {
  /**
   * Where results and `--help` go.
   *
   * @default {the process's standard output}
   */
  stdout?: CliWriter;
  /**
   * Where errors and per-device failure lines go.
   *
   * @default {the process's standard error}
   */
  stderr?: CliWriter;
  /**
   * The whole environment the CLI reads (`NATS_URL`, `NATS_USER`,
   * `NATS_PASSWORD`, `NATS_TOKEN`, `NATS_CREDS`, `NATS_CA`, `NATS_CERT`,
   * `NATS_KEY`, `NATS_CONTEXT`, and `HOME`
   * and `XDG_CONFIG_HOME` to find `nats` CLI contexts): when given, the
   * process's own environment and home are never read. Empty values count
   * as unset.
   *
   * @default {the process's environment}
   */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * What `fleet exec -i` reads as its stdin (nothing else reads it).
   *
   * @default {the process's standard input}
   */
  stdin?: ReadableStream<Uint8Array>;
  /**
   * Stands for Ctrl-C while `fleet logs` or `fleet exec` runs: aborting it
   * sends `cancel` and the CLI returns 130 (143 when its reason is
   * `"SIGTERM"`). When given, the CLI installs no signal listener.
   *
   * @default {SIGINT and SIGTERM of the process, listened for while `logs` or `exec` runs}
   */
  interrupt?: AbortSignal;
}

const DEFAULT_TIMEOUT_MS = 5000;

/** The commands, each added by its own file; a new verb is one more line. */
const COMMANDS = [
  addPingCommand,
  addLogsCommand,
  addExecCommand,
  addDevicesCommand,
  addRegistryCommand,
] as const;

/**
 * Runs the `fleet` CLI with `args` (without the program name) and resolves
 * with its exit code (see {@linkcode ExitCode}); never exits the process
 * and never rejects. `fleet ping <device-id...>` pings every device in
 * parallel and prints a table (or `--json`), plus one line on stderr per
 * device that did not answer. `fleet logs <device-id> <container>` writes
 * a container's log; `fleet exec <device-id> (<container> | --host) --
 * <cmd> [args...]` runs a command there and returns its exit code. A
 * failure prints one `error: …` line on stderr and, with `--json`, one
 * `{"error": {…}}` object on stdout.
 *
 * @example
 * ```ts ignore
 * import { runCli } from "@harmony/fleet/operator";
 * const code = await runCli(["ping", "vm-device-00", "--timeout", "2s"]);
 * Deno.exit(code);
 * ```
 */
export async function runCli(
  args: readonly string[],
  options: RunCliOptions = {},
): Promise<number> {
  const stdout = options.stdout ?? fileWriter(Deno.stdout);
  const stderr = options.stderr ?? fileWriter(Deno.stderr);
  const env = options.env;
  let exitCode: number = ExitCode.Ok;
  const context: ProgramContext = {
    stdout,
    stderr,
    getEnv: (name) =>
      (env === undefined ? Deno.env.get(name) : env[name]) || undefined,
    done: (code) => exitCode = code,
    stdin: () => options.stdin ?? Deno.stdin.readable,
    interrupt: options.interrupt,
  };
  const program = buildProgram(context);
  const found = commandOf(program, args);
  let parsed = args;
  if (found?.name === "exec") {
    // Everything after `--` is the remote command, never fleet's.
    const dashes = args.indexOf("--", found.index + 1);
    if (dashes !== -1) {
      context.command = args.slice(dashes + 1);
      parsed = args.slice(0, dashes);
    }
  }
  try {
    await program.parseAsync([...parsed], { from: "user" });
    return exitCode;
  } catch (error) {
    const streams = found?.name === "logs" || found?.name === "exec";
    return reportCliFailure(error, {
      stdout,
      stderr,
      json: wantsJson(parsed),
      codes: streams ? STREAM_FAILURE_CODES : PING_FAILURE_CODES,
    });
  }
}

function buildProgram(context: ProgramContext): Command {
  const { stdout, stderr } = context;
  const program = new Command("fleet")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => stdout.write(text),
      // Commander quotes what was typed; a mistyped URL may carry a password.
      writeErr: (text) => stderr.write(redactServerUrl(text)),
      getOutHelpWidth: () => 80,
      getErrHelpWidth: () => 80,
      getOutHasColors: () => false,
      getErrHasColors: () => false,
    })
    .configureHelp({ showGlobalOptions: true })
    .description(
      "Send commands to the agents of a fleet of edge devices over NATS.",
    )
    .version(PACKAGE_VERSION, "-V, --version", "print the version and exit")
    .helpOption("-h, --help", "print this help and exit")
    .option(
      "-s, --server <url>",
      "NATS server URL (nats:// or tls://, may carry user:password@ or " +
        "token@), or several comma-separated, each tried once; env " +
        `NATS_URL; default ${DEFAULT_NATS_URL}`,
    )
    .option("--user <name>", "user name to connect with (env NATS_USER)")
    .option("--password <password>", "password of --user (env NATS_PASSWORD)")
    .option("--token <token>", "authentication token (env NATS_TOKEN)")
    .option(
      "--creds <file>",
      "NATS user credentials (.creds) file (env NATS_CREDS)",
    )
    .option(
      "--tlsca <file>",
      "CA certificates (PEM) to trust for the server's certificate; any " +
        "TLS flag makes TLS required (env NATS_CA)",
    )
    .option(
      "--tlscert <file>",
      "client certificate (PEM) for mutual TLS; needs --tlskey and " +
        "--tlsfirst (env NATS_CERT)",
    )
    .option("--tlskey <file>", "private key (PEM) of --tlscert (env NATS_KEY)")
    .option(
      "--tlsfirst",
      "TLS handshake before the server's INFO (the server's " +
        "handshake_first); needed with --tlscert",
    )
    .option(
      "--context <name>",
      "nats CLI context to connect with: ~/.config/nats/context/<name>.json " +
        "(env NATS_CONTEXT; default: the context selected with " +
        "`nats context select`)",
    )
    .option("--no-context", "use no context, not even the selected one")
    .addOption(
      new Option(
        "--timeout <duration>",
        "how long to wait for each reply, and for each server when " +
          "connecting: a number with a unit ms, s, m or h (500ms, 1.5s, 2m) " +
          "or plain milliseconds; fractions round up to whole ms; at most 24h",
      ).default(DEFAULT_TIMEOUT_MS, "5s").argParser(parseTimeoutOption),
    )
    .option(
      "--json",
      'print the results as JSON; on a failure, {"error": {"type", ' +
        '"message", "exit_code", …}}',
    )
    .showSuggestionAfterError(true)
    .addHelpText(
      "after",
      `\n${CONNECTION_HELP}\n\n${EXIT_CODES_HELP}\n\n` +
        "Exit codes of logs and exec (exec: otherwise the remote command's " +
        `own, 0-255):\n${STREAM_EXIT_CODES_HELP}\n`,
    );

  for (const add of COMMANDS) add(program, context);

  return program;
}
