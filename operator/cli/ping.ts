import type { Command } from "commander";
import { FleetCommandsClient } from "../client.ts";
import {
  type CliConnectionFlags,
  connectFromCommandLine,
} from "./connection.ts";
import type { EnvReader } from "./settings.ts";
import {
  pingResultsJson,
  renderFanoutSummary,
  renderPingFailures,
  renderPingTable,
} from "./ping_output.ts";
import {
  addTargetOptions,
  resolveCliTargets,
  type TargetFlags,
  TARGETING_HELP,
  targetSpecOf,
} from "./targets.ts";
import { exitCodeFor, pingAll } from "./ping_results.ts";
import { DEFAULT_FANOUT_CONCURRENCY } from "../fanout.ts";
import { EXIT_CODES_HELP, type ExitCode } from "./exit_codes.ts";
import type { GlobalFlags, ProgramContext } from "./program_context.ts";
import type { CliWriter } from "./writer.ts";

/**
 * Adds `fleet ping [target...]` to `program`.
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
  const ping = program
    .command("ping")
    .summary("ping devices' agents in parallel")
    .description(
      "Ping devices' agents in parallel (at most --concurrency at a time): " +
        "round-trip time, agent version, uptime, runtime; then one line per " +
        "device that did not answer and a summary on stderr: " +
        "`N of M answered; offline: …; timed out: …; errored: …`.",
    )
    .argument(
      "[target...]",
      "device ids, or globs over the known devices ('edge-*')",
    );
  addTargetOptions(ping)
    .addHelpText("after", `\n${TARGETING_HELP}\n\n${EXIT_CODES_HELP}\n`)
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
  flags:
    & CliConnectionFlags
    & Partial<TargetFlags>
    & { timeout: number; json?: boolean };
  /** Reads the environment (`NATS_*`, `HOME`, `XDG_CONFIG_HOME`). */
  getEnv: EnvReader;
  /** Where the table or JSON goes. */
  stdout: CliWriter;
  /** Where the per-device failure lines go. */
  stderr: CliWriter;
}

/**
 * `fleet ping <target...>`: checks the targets (before connecting),
 * connects, resolves globs, `--all` and `-l` against the device registry,
 * pings every device once (at most `--concurrency` at a time), prints a
 * table (or `--json`), then on stderr one line per device that did not
 * answer and the summary line, and resolves with the exit code.
 *
 * @throws {CliUsageError} for an invalid id, glob or selector, a glob or
 *   selector that matches no device, or unusable settings.
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
  const spec = targetSpecOf(deviceIds, {
    all: flags.all,
    selector: flags.selector,
    concurrency: flags.concurrency ?? DEFAULT_FANOUT_CONCURRENCY,
  });
  const nc = await connectFromCommandLine(flags, {
    getEnv: options.getEnv,
    timeoutMs: flags.timeout,
  });
  let results, summary;
  try {
    const client = new FleetCommandsClient(nc, { timeoutMs: flags.timeout });
    const targets = await resolveCliTargets(spec, client);
    ({ results, summary } = await pingAll(client, targets, {
      concurrency: flags.concurrency,
    }));
  } finally {
    await nc.close();
  }
  if (flags.json) {
    stdout.write(`${JSON.stringify(pingResultsJson(results))}\n`);
  } else {
    stdout.write(renderPingTable(results));
  }
  stderr.write(renderPingFailures(results) + renderFanoutSummary(summary));
  return exitCodeFor(results);
}
