import type { Command } from "commander";
import { deviceIdProblem } from "../../contracts/mod.ts";
import { FleetCommandsClient } from "../client.ts";
import { CliUsageError } from "./errors.ts";
import {
  type CliConnectionFlags,
  connectFromCommandLine,
} from "./connection.ts";
import type { EnvReader } from "./settings.ts";
import {
  pingResultsJson,
  renderPingFailures,
  renderPingTable,
} from "./ping_output.ts";
import { exitCodeFor, pingAll } from "./ping_results.ts";
import { EXIT_CODES_HELP, type ExitCode } from "./exit_codes.ts";
import type { GlobalFlags, ProgramContext } from "./program_context.ts";
import type { CliWriter } from "./writer.ts";

/**
 * Adds `fleet ping <device-id...>` to `program`.
 *
 * @example
 * ```ts ignore
 * import { addPingCommand } from "./ping.ts";
 * addPingCommand(program, context);
 * ```
 */
export function addPingCommand(
  program: Command,
  context: ProgramContext,
): void {
  program
    .command("ping")
    .summary("ping devices' agents in parallel")
    .description(
      "Ping devices' agents in parallel: round-trip time, agent version, " +
        "uptime, runtime.",
    )
    .argument("<device-id...>", "ids of the devices to ping")
    .addHelpText("after", `\n${EXIT_CODES_HELP}\n`)
    .action(
      async (deviceIds: string[], _options: unknown, command: Command) => {
        context.done(
          await pingCommand(deviceIds, {
            flags: command.optsWithGlobals<GlobalFlags>(),
            getEnv: context.getEnv,
            stdout: context.stdout,
            stderr: context.stderr,
          }),
        );
      },
    );
}

/** Options of {@linkcode pingCommand}. */
export interface PingCommandOptions {
  /** The global flags: connection, `timeout` (whole ms) and `json`. */
  flags: CliConnectionFlags & { timeout: number; json?: boolean };
  /** Reads the environment (`NATS_*`, `HOME`, `XDG_CONFIG_HOME`). */
  getEnv: EnvReader;
  /** Where the table or JSON goes. */
  stdout: CliWriter;
  /** Where the per-device failure lines go. */
  stderr: CliWriter;
}

/**
 * `fleet ping <device-id...>`: checks the ids (before connecting),
 * connects, pings every device once in parallel, prints a table (or
 * `--json`) and one line on stderr per device that did not answer, and
 * resolves with the exit code.
 *
 * @throws {CliUsageError} for an invalid device id or unusable settings.
 * @throws {CliConnectionError} when it cannot connect.
 * @example
 * ```ts ignore
 * import { pingCommand } from "./ping.ts";
 * const code = await pingCommand(["vm-device-00"], { flags: { timeout: 5000 }, getEnv, stdout, stderr });
 * ```
 */
export async function pingCommand(
  deviceIds: readonly string[],
  options: PingCommandOptions,
): Promise<ExitCode> {
  const { flags, stdout, stderr } = options;
  for (const deviceId of deviceIds) {
    const problem = deviceIdProblem(deviceId);
    if (problem !== undefined) {
      throw new CliUsageError(
        `Invalid device id ${JSON.stringify(deviceId)}: ${problem}`,
      );
    }
  }
  const unique = [...new Set(deviceIds)];
  const nc = await connectFromCommandLine(flags, {
    getEnv: options.getEnv,
    timeoutMs: flags.timeout,
  });
  let results;
  try {
    const client = new FleetCommandsClient(nc, { timeoutMs: flags.timeout });
    results = await pingAll(client, unique);
  } finally {
    await nc.close();
  }
  if (flags.json) {
    stdout.write(`${JSON.stringify(pingResultsJson(results))}\n`);
  } else {
    stdout.write(renderPingTable(results));
  }
  const failures = renderPingFailures(results);
  if (failures !== "") stderr.write(failures);
  return exitCodeFor(results);
}
