import { type Command, Option } from "commander";
import { deviceIdProblem, parseRfc3339 } from "../../contracts/mod.ts";
import { FleetCommandsClient } from "../client.ts";
import { checkStreamCommand } from "../command_stream.ts";
import { type LogsOptions, logsRequest } from "../logs.ts";
import { connectFromCommandLine } from "./connection.ts";
import { CliUsageError } from "./errors.ts";
import { ExitCode, LOGS_EXIT_CODES_HELP } from "./exit_codes.ts";
import { parseLimitBytes, parseTail, parseWhen } from "./flags.ts";
import { listenForInterrupt } from "./interrupt.ts";
import type { GlobalFlags, ProgramContext } from "./program_context.ts";
import { reportStopped, reportStreamFailure } from "./stream_failure.ts";
import { writeStream } from "./stream_output.ts";

/** The flags of `fleet logs`, as parsed. */
export interface LogsFlags extends GlobalFlags {
  /** `--tail <lines>`. */
  tail?: number;
  /** `--since <when>`: a time (RFC 3339) or that long ago. */
  since?: Date | string;
  /** `--until <when>`. */
  until?: Date | string;
  /** `-t, --timestamps`. */
  timestamps?: boolean;
  /** `-f, --follow`. */
  follow?: boolean;
  /** `--limit-bytes <bytes>`. */
  limitBytes?: number;
  /** `--stdout-only`. */
  stdoutOnly?: boolean;
  /** `--stderr-only`. */
  stderrOnly?: boolean;
}

/**
 * Adds `fleet logs <device-id> <container>` to `program`.
 *
 * @example
 * ```ts ignore
 * import { addLogsCommand } from "./logs.ts";
 * addLogsCommand(program, context);
 * ```
 */
export function addLogsCommand(
  program: Command,
  context: ProgramContext,
): void {
  program
    .command("logs")
    .summary("print a container's log; -f follows it until Ctrl-C")
    .description(
      "Print a container's log: its stdout to stdout, its stderr to " +
        "stderr, byte for byte, as `podman logs` would. With -f, follow it " +
        "until Ctrl-C (which cancels it on the agent) or the container exits.",
    )
    .argument("<device-id>", "the device the container runs on")
    .argument("<container>", "the container's name or id")
    .addOption(
      new Option(
        "--tail <lines>",
        "only the last <lines> lines (0 or more; default: all)",
      ).argParser(parseTail),
    )
    .addOption(
      new Option(
        "--since <when>",
        "only lines since <when>: a duration ago (10m, 1.5h, 30s) or an " +
          "RFC 3339 time (2026-11-27T18:00:00Z)",
      ).argParser(parseWhen),
    )
    .addOption(
      new Option("--until <when>", "only lines until <when>, as --since")
        .argParser(parseWhen),
    )
    .option("-t, --timestamps", "prefix each line with its RFC 3339 time")
    .option(
      "-f, --follow",
      "keep printing new lines until Ctrl-C or the container exits " +
        "(--timeout then only bounds the start)",
    )
    .addOption(
      new Option(
        "--limit-bytes <bytes>",
        "stop after <bytes> bytes of log, cut exactly (exit 0)",
      ).argParser(parseLimitBytes),
    )
    .option("--stdout-only", "only the container's stdout")
    .option("--stderr-only", "only the container's stderr")
    .addHelpText("after", `\n${LOGS_EXIT_CODES_HELP}\n`)
    .action(
      async (
        deviceId: string,
        container: string,
        _options: unknown,
        command: Command,
      ) => {
        context.done(
          await logsCommand(
            deviceId,
            container,
            command.optsWithGlobals<LogsFlags>(),
            context,
          ),
        );
      },
    );
}

/**
 * `fleet logs`: checks the command line (before connecting), connects,
 * writes the log as it comes and resolves with the exit code (0 at the
 * log's end or `--limit-bytes`; see `ExitCode` for the others). Never
 * rejects: failures are reported on stderr (and stdout with `--json`).
 *
 * @example
 * ```ts ignore
 * import { logsCommand } from "./logs.ts";
 * const code = await logsCommand("d1", "web", { timeout: 5000, tail: 10 }, context);
 * ```
 */
export async function logsCommand(
  deviceId: string,
  container: string,
  flags: LogsFlags,
  context: ProgramContext,
): Promise<number> {
  const { stdout, stderr } = context;
  const report = { stdout, stderr, json: flags.json === true };
  using interrupt = listenForInterrupt(context.interrupt);
  try {
    const options = checkLogsCommandLine(deviceId, container, flags);
    options.signal = interrupt.signal;
    const nc = await connectFromCommandLine(flags, {
      getEnv: context.getEnv,
      timeoutMs: flags.timeout,
    });
    try {
      interrupt.signal.throwIfAborted();
      const client = new FleetCommandsClient(nc, { timeoutMs: flags.timeout });
      const outcome = await writeStream(client.logs(deviceId, options), {
        stdout,
        stderr,
      });
      if (outcome === "output_closed") {
        return reportStopped("output_closed", ExitCode.BrokenPipe, report);
      }
      return ExitCode.Ok;
    } finally {
      await nc.close();
    }
  } catch (error) {
    if (interrupt.exitCode !== undefined) {
      return reportStopped(
        interrupt.signal.reason === "SIGTERM" ? "SIGTERM" : "SIGINT",
        interrupt.exitCode,
        report,
      );
    }
    return reportStreamFailure(error, report);
  }
}

function checkLogsCommandLine(
  deviceId: string,
  container: string,
  flags: LogsFlags,
): LogsOptions {
  const problem = deviceIdProblem(deviceId);
  if (problem !== undefined) {
    throw new CliUsageError(
      `Invalid device id ${JSON.stringify(deviceId)}: ${problem}`,
    );
  }
  if (container === "") {
    throw new CliUsageError("The container name must not be empty");
  }
  if (flags.stdoutOnly && flags.stderrOnly) {
    throw new CliUsageError(
      "--stdout-only and --stderr-only cannot be used together (leave both out for both)",
    );
  }
  if (flags.json) {
    throw new CliUsageError(
      "--json: fleet logs writes the log to stdout as it is, so it has no JSON form; its exit code and error: line say how it ended",
    );
  }
  const since = timeOf(flags.since);
  const until = timeOf(flags.until);
  if (since !== undefined && until !== undefined && until.ms < since.ms) {
    throw new CliUsageError(
      `--until ${until.text} is before --since ${since.text}`,
    );
  }
  const options: LogsOptions = {
    container,
    tail: flags.tail,
    since: flags.since,
    until: flags.until,
    timestamps: flags.timestamps,
    follow: flags.follow,
    limitBytes: flags.limitBytes,
  };
  if (flags.stdoutOnly) options.stderr = false;
  if (flags.stderrOnly) options.stdout = false;
  try {
    checkStreamCommand({
      deviceId,
      verb: "logs",
      request: logsRequest(deviceId, options),
    });
  } catch (error) {
    if (!(error instanceof TypeError || error instanceof RangeError)) {
      throw error;
    }
    throw new CliUsageError(error.message, { cause: error });
  }
  return options;
}

function timeOf(
  value: Date | string | undefined,
): { text: string; ms: number } | undefined {
  if (value === undefined) return undefined;
  if (value instanceof Date) {
    return { text: value.toISOString(), ms: value.getTime() };
  }
  return { text: value, ms: parseRfc3339(value)! };
}
