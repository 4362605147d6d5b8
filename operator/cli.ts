import {
  Command,
  CommanderError,
  InvalidArgumentError,
  Option,
} from "commander";
import { deviceIdProblem, PACKAGE_VERSION } from "../contracts/mod.ts";
import { redactServerUrl } from "../nats/mod.ts";
import { FleetCommandsClient } from "./client.ts";
import { DurationSyntaxError, parseDuration } from "./cli_duration.ts";
import { CliConnectionError, CliUsageError } from "./cli_errors.ts";
import { connectForCli } from "./cli_connection.ts";
import { loadNatsContext } from "./cli_context.ts";
import {
  DEFAULT_NATS_URL,
  envLayer,
  flagsLayer,
  resolveConnectionSettings,
} from "./cli_settings.ts";
import { EXIT_CODES_HELP, ExitCode } from "./cli_exit_codes.ts";
import { CONNECTION_HELP } from "./cli_help.ts";
import {
  pingResultsJson,
  renderPingFailures,
  renderPingTable,
} from "./cli_output.ts";
import { exitCodeFor, pingAll } from "./cli_ping_results.ts";
import { MAX_TIMEOUT_MS } from "./timeout.ts";

/** Where the CLI writes text: standard output or standard error. */
export interface CliWriter {
  /** Writes `text` as is (the CLI adds its own newlines). */
  write(text: string): void;
}

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
   * The environment the CLI reads (`NATS_URL`, …): when given, the
   * process's own environment is never read.
   *
   * @default {the process's environment}
   */
  env?: Readonly<Record<string, string | undefined>>;
}

const DEFAULT_TIMEOUT_MS = 5000;

/** The flags of `fleet`, as commander hands them over. */
interface GlobalFlags {
  server?: string;
  user?: string;
  password?: string;
  token?: string;
  creds?: string;
  /** `--context <name>`, or `false` for `--no-context`. */
  context?: string | false;
  timeout: number;
  json?: boolean;
}

/**
 * Runs the `fleet` CLI with `args` (without the program name) and resolves
 * with its exit code (see {@linkcode ExitCode}); never exits the process
 * and never rejects. `fleet ping <device-id...>` pings every device in
 * parallel and prints a table (or `--json`), plus one line on stderr per
 * device that did not answer.
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
  const stdout = options.stdout ?? processWriter(Deno.stdout);
  const stderr = options.stderr ?? processWriter(Deno.stderr);
  const env = options.env;
  let exitCode: number = ExitCode.Ok;
  const program = buildProgram({
    stdout,
    stderr,
    getEnv: (name) =>
      (env === undefined ? Deno.env.get(name) : env[name]) || undefined,
    done: (code) => exitCode = code,
  });
  try {
    await program.parseAsync([...args], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has already printed help, the version or the error.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    if (error instanceof CliUsageError) {
      stderr.write(`error: ${error.message}\n`);
      return ExitCode.Usage;
    }
    if (error instanceof CliConnectionError) {
      stderr.write(`error: ${error.message}\n`);
      return ExitCode.Connection;
    }
    stderr.write(
      redactServerUrl(
        `error: unexpected failure (a bug in fleet): ${
          error instanceof Error ? error.stack ?? error.message : String(error)
        }\n`,
      ),
    );
    return ExitCode.Internal;
  }
}

interface ProgramContext {
  stdout: CliWriter;
  stderr: CliWriter;
  /** Reads an environment variable; empty counts as unset. */
  getEnv: (name: string) => string | undefined;
  done: (code: number) => void;
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
    .addOption(
      new Option(
        "-s, --server <url>",
        "NATS server URL (nats:// or tls://, may carry user:password@ or " +
          "token@), or several comma-separated, each tried once; env " +
          `NATS_URL; default ${DEFAULT_NATS_URL}`,
      ),
    )
    .option("--user <name>", "user name to connect with (env NATS_USER)")
    .option("--password <password>", "password of --user (env NATS_PASSWORD)")
    .option("--token <token>", "authentication token (env NATS_TOKEN)")
    .option(
      "--creds <file>",
      "NATS user credentials (.creds) file (env NATS_CREDS)",
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
      ).default(DEFAULT_TIMEOUT_MS, "5s").argParser(parseTimeoutFlag),
    )
    .option("--json", "print the results as JSON")
    .showSuggestionAfterError(true)
    .addHelpText("after", `\n${CONNECTION_HELP}\n\n${EXIT_CODES_HELP}\n`);

  program
    .command("ping")
    .description(
      "Ping devices' agents in parallel: round-trip time, agent version, " +
        "uptime, runtime.",
    )
    .argument("<device-id...>", "ids of the devices to ping")
    .addHelpText("after", `\n${EXIT_CODES_HELP}\n`)
    .action(
      async (deviceIds: string[], _options: unknown, command: Command) => {
        const flags = command.optsWithGlobals<GlobalFlags>();
        context.done(await ping(deviceIds, flags, context));
      },
    );

  return program;
}

async function ping(
  deviceIds: readonly string[],
  flags: GlobalFlags,
  context: ProgramContext,
): Promise<number> {
  for (const deviceId of deviceIds) {
    const problem = deviceIdProblem(deviceId);
    if (problem !== undefined) {
      throw new CliUsageError(
        `Invalid device id ${JSON.stringify(deviceId)}: ${problem}`,
      );
    }
  }
  const unique = [...new Set(deviceIds)];
  const { getEnv } = context;
  const natsContext = flags.context === false
    ? undefined
    : await loadNatsContext(flags.context ?? getEnv("NATS_CONTEXT"), {
      getEnv,
    });
  const settings = resolveConnectionSettings([
    flagsLayer(flags),
    envLayer(getEnv),
    natsContext?.layer ?? {},
  ]);
  const nc = await connectForCli(settings, {
    timeoutMs: flags.timeout,
    inboxPrefix: natsContext?.inboxPrefix,
  });
  let results;
  try {
    const client = new FleetCommandsClient(nc, { timeoutMs: flags.timeout });
    results = await pingAll(client, unique);
  } finally {
    await nc.close();
  }
  if (flags.json) {
    context.stdout.write(`${JSON.stringify(pingResultsJson(results))}\n`);
  } else {
    context.stdout.write(renderPingTable(results));
  }
  const failures = renderPingFailures(results);
  if (failures !== "") context.stderr.write(failures);
  return exitCodeFor(results);
}

function parseTimeoutFlag(value: string): number {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (error) {
    if (error instanceof DurationSyntaxError) {
      throw new InvalidArgumentError(
        "expected a duration greater than 0 such as 5s, 500ms or 2000 (milliseconds).",
      );
    }
    throw error;
  }
  if (ms > MAX_TIMEOUT_MS) {
    throw new InvalidArgumentError(
      `it is ${ms} ms; the timeout can be at most 24h (${MAX_TIMEOUT_MS} ms).`,
    );
  }
  return ms;
}

function processWriter(file: { writeSync(p: Uint8Array): number }): CliWriter {
  const encoder = new TextEncoder();
  return {
    write(text: string): void {
      let bytes = encoder.encode(text);
      while (bytes.length > 0) bytes = bytes.subarray(file.writeSync(bytes));
    },
  };
}
