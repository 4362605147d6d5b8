import { type Command, Option } from "commander";
import { DEFAULT_EXEC_LIMIT_BYTES } from "../../contracts/mod.ts";
import { FleetCommandsClient } from "../client.ts";
import { checkStreamCommand, type CommandStream } from "../command_stream.ts";
import { collectExec, type ExecOptions, execRequest } from "../exec.ts";
import { connectFromCommandLine } from "./connection.ts";
import { CliUsageError } from "./errors.ts";
import { EXEC_EXIT_CODES_HELP, ExitCode } from "./exit_codes.ts";
import { execResultJson } from "./exec_json.ts";
import { parseEnvEntry, parseLimitBytes } from "./flags.ts";
import { listenForInterrupt } from "./interrupt.ts";
import type { GlobalFlags, ProgramContext } from "./program_context.ts";
import { readStdin } from "./stdin.ts";
import { reportStopped, reportStreamFailure } from "./stream_failure.ts";
import { writeStream } from "./stream_output.ts";
import type { CliWriter } from "./writer.ts";
import { needsKnownDevices } from "../targeting.ts";
import { execFanout } from "./exec_fanout.ts";
import {
  addTargetOptions,
  resolveCliTargets,
  type TargetFlags,
  TARGETING_HELP,
  targetSpecOf,
} from "./targets.ts";

/** The flags of `fleet exec`, as parsed. */
export interface ExecFlags extends GlobalFlags, Partial<TargetFlags> {
  /** `--host`. */
  host?: boolean;
  /** `-i, --stdin`. */
  stdin?: boolean;
  /** `-e, --env NAME=VALUE`, repeated. */
  env?: Record<string, string>;
  /** `-w, --workdir <dir>`. */
  workdir?: string;
  /** `--limit-bytes <bytes>`. */
  limitBytes?: number;
}

const JSON_HELP = [
  "Output:",
  "  The command's stdout and stderr go to fleet's stdout and stderr as they",
  "  come, byte for byte. With --json, fleet prints one object instead, once",
  "  the command has finished:",
  '    {"exit_code": 0, "stdout": "…", "stdout_encoding": "utf-8",',
  '     "stderr": "…", "stderr_encoding": "utf-8", "truncated": false}',
  "  stdout_encoding and stderr_encoding say utf-8 when the field is the",
  "  output itself (it was valid UTF-8), base64 when it is the output in",
  "  base64. truncated: the output reached --limit-bytes and the command was",
  '  stopped (exit_code null, exit 125). A failure prints {"error": {…}}.',
].join("\n");

/**
 * Adds `fleet exec <device-id> [container] -- <cmd> [args...]` to
 * `program`. The arguments after `--` are taken from `context.command`
 * (`runCli` splits them off before commander sees them).
 *
 * @example
 * ```ts ignore
 * import { addExecCommand } from "./exec.ts";
 * addExecCommand(program, context);
 * ```
 */
export function addExecCommand(
  program: Command,
  context: ProgramContext,
): void {
  const exec = program
    .command("exec")
    .usage("[options] <target> [container] -- <cmd> [args...]")
    .summary(
      "run a command in a container or on the device; exit with its exit code",
    )
    .description(
      "Run a command (an argv, no shell) in a container on a device, or on " +
        "the device itself with --host, and exit with its exit code. Its " +
        "output is streamed as it comes; Ctrl-C cancels it (the agent kills " +
        "it). It may run for --timeout (default 5s): then the agent kills it " +
        "and fleet exits 124; give a longer command a longer --timeout. " +
        "With a glob, --all or -l it runs on every device targeted (at most " +
        "--concurrency at a time): each device's output comes when it is " +
        "done, every line prefixed with '<device-id>: ', then a summary " +
        "line on stderr; fleet exits with the largest exit code when every " +
        "device ran it, else 124 (all the others timed out) or 125. With " +
        "--all or -l, the only operand is the container.",
    )
    .argument(
      "[target]",
      "the device to run it on, or a glob over known devices; none with --all or -l",
    )
    .argument("[container]", "the container to run it in (or --host)")
    .allowExcessArguments()
    .option(
      "--host",
      "run it on the device itself, as the agent's user (the agent must " +
        "allow it: [exec] allow_host = true)",
    )
    .option(
      "-i, --stdin",
      "send fleet's stdin to the command: read to its end before the " +
        "command is sent, at most 512 KiB (524288 bytes); more is a usage error",
    )
    .addOption(
      new Option(
        "-e, --env <NAME=VALUE>",
        "set an environment variable for the command (repeatable)",
      ).argParser(parseEnvEntry),
    )
    .option("-w, --workdir <dir>", "working directory (an absolute path)")
    .addOption(
      new Option(
        "--limit-bytes <bytes>",
        "stop the command after <bytes> bytes of output (stdout and stderr " +
          "together; default 16 MiB): exit 125, output cut exactly there",
      ).argParser(parseLimitBytes),
    );
  addTargetOptions(exec)
    .addHelpText(
      "after",
      `\n${JSON_HELP}\n\n${TARGETING_HELP}\n\n${EXEC_EXIT_CODES_HELP}\n`,
    )
    .action(
      async (
        target: string | undefined,
        container: string | undefined,
        _options: unknown,
        command: Command,
      ) => {
        const flags = command.optsWithGlobals<ExecFlags>();
        // With --all or -l there is no target operand: the first is the container.
        const selected = flags.all === true ||
          (flags.selector?.length ?? 0) > 0;
        context.done(
          await execCommand(
            selected
              ? { container: target, extra: command.args.slice(1) }
              : { deviceId: target, container, extra: command.args.slice(2) },
            flags,
            context,
          ),
        );
      },
    );
}

/** The operands of `fleet exec`. */
export interface ExecOperands {
  /** The device, or a glob over known devices; none with `--all` or `-l`. */
  deviceId?: string;
  /** The container, when given. */
  container?: string;
  /** Operands beyond those (a command given without `--`). */
  extra: readonly string[];
}

/**
 * `fleet exec`: checks the command line (before reading stdin and before
 * connecting), reads stdin with `-i`, connects, streams the output (or
 * collects it for `--json`) and resolves with the remote exit code, or
 * with one of fleet's own (124, 125, 130, 141, 143; see `ExitCode`).
 * Never rejects: failures are reported on stderr (and stdout with
 * `--json`).
 *
 * @example
 * ```ts ignore
 * import { execCommand } from "./exec.ts";
 * const code = await execCommand({ deviceId: "d1", container: "web", extra: [] },
 *   { timeout: 5000 }, { ...context, command: ["sh", "-c", "exit 7"] }); // 7
 * ```
 */
export async function execCommand(
  operands: ExecOperands,
  flags: ExecFlags,
  context: ProgramContext,
): Promise<number> {
  const { stdout, stderr } = context;
  const report = { stdout, stderr, json: flags.json === true };
  using interrupt = listenForInterrupt(context.interrupt);
  try {
    const spec = targetSpecOf(
      operands.deviceId === undefined ? [] : [operands.deviceId],
      {
        all: flags.all,
        selector: flags.selector,
        concurrency: flags.concurrency ?? 1,
      },
    );
    const options = checkExecCommandLine(operands, flags, context.command);
    if (flags.stdin) {
      options.stdin = await readStdin(context.stdin(), interrupt.signal);
    }
    const single = needsKnownDevices(spec) ? undefined : operands.deviceId!;
    checkOptions(single ?? PLACEHOLDER_DEVICE, options);
    const nc = await connectFromCommandLine(flags, {
      getEnv: context.getEnv,
      timeoutMs: flags.timeout,
    });
    try {
      interrupt.signal.throwIfAborted();
      const client = new FleetCommandsClient(nc, { timeoutMs: flags.timeout });
      if (single === undefined) {
        const targets = await resolveCliTargets(spec, client);
        return await execFanout(client, targets, {
          ...options,
          concurrency: flags.concurrency ?? 1,
          json: flags.json === true,
          stdout,
          stderr,
          signal: interrupt.signal,
        });
      }
      options.signal = interrupt.signal;
      const stream = client.execStream(single, options);
      return flags.json
        ? await printJson(stream, stdout)
        : await streamOutput(stream, options, { stdout, stderr }, report);
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

async function printJson(
  stream: CommandStream,
  stdout: CliWriter,
): Promise<number> {
  const result = await collectExec(stream);
  stdout.write(`${JSON.stringify(execResultJson(result))}\n`);
  return processExitCode(result.exitCode) ?? ExitCode.Failed;
}

async function streamOutput(
  stream: CommandStream,
  options: ExecOptions,
  writers: { stdout: CliWriter; stderr: CliWriter },
  report: { stdout: CliWriter; stderr: CliWriter; json: boolean },
): Promise<number> {
  const outcome = await writeStream(stream, writers);
  if (outcome === "output_closed") {
    return reportStopped("output_closed", ExitCode.BrokenPipe, report);
  }
  const end = stream.end!;
  const code = processExitCode(end.exitCode);
  const prefix = `error: Cannot exec device ${JSON.stringify(stream.deviceId)}`;
  if (end.reason === "limit") {
    const limit = options.limitBytes === undefined
      ? `${DEFAULT_EXEC_LIMIT_BYTES} bytes, the default`
      : `${options.limitBytes} bytes`;
    writers.stderr.write(
      `${prefix}: the output reached --limit-bytes (${limit}); the agent stopped the command, so it has no exit code\n`,
    );
    return code ?? ExitCode.Failed;
  }
  if (code === undefined) {
    writers.stderr.write(
      `${prefix}: the agent sent exit code ${end.exitCode}, which is not 0-255\n`,
    );
    return ExitCode.Failed;
  }
  return code;
}

// The exit code a process can exit with, or undefined.
function processExitCode(code: number | undefined): number | undefined {
  return code !== undefined && code >= 0 && code <= 255 ? code : undefined;
}

function checkExecCommandLine(
  operands: ExecOperands,
  flags: ExecFlags,
  command: readonly string[] | undefined,
): ExecOptions {
  const { container, extra } = operands;
  const deviceId = operands.deviceId ??
    (flags.all ? "--all" : `-l ${flags.selector?.join(",")}`);
  if (container === "") {
    throw new CliUsageError("The container name must not be empty");
  }
  if ((container !== undefined) === (flags.host === true)) {
    throw new CliUsageError(
      `fleet exec needs a container or --host, not ${
        container === undefined ? "neither" : "both"
      }`,
    );
  }
  if (command === undefined || extra.length > 0) {
    throw new CliUsageError(
      `The command goes after --: fleet exec ${deviceId} ${
        container ?? "--host"
      } -- <cmd> [args...]`,
    );
  }
  if (command.length === 0) {
    throw new CliUsageError("There is no command after --");
  }
  const options: ExecOptions = { cmd: command };
  if (container !== undefined) options.container = container;
  if (flags.host) options.host = true;
  if (flags.env !== undefined) options.env = flags.env;
  if (flags.workdir !== undefined) options.workdir = flags.workdir;
  if (flags.limitBytes !== undefined) options.limitBytes = flags.limitBytes;
  checkOptions(PLACEHOLDER_DEVICE, options);
  return options;
}

// Checking the options needs a device id; which one does not matter.
const PLACEHOLDER_DEVICE = "device";

// The client's and the verb's own checks, as usage errors.
function checkOptions(deviceId: string, options: ExecOptions): void {
  try {
    checkStreamCommand({
      deviceId,
      verb: "exec",
      request: execRequest(deviceId, options),
    });
  } catch (error) {
    if (!(error instanceof TypeError || error instanceof RangeError)) {
      throw error;
    }
    throw new CliUsageError(error.message, { cause: error });
  }
}
