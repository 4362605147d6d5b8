import type { Command } from "commander";
import { listDeviceRegistry } from "../devices.ts";
import {
  type CliConnectionFlags,
  connectFromCommandLine,
} from "./connection.ts";
import { devicesJson, renderDevicesTable } from "./devices_output.ts";
import type { GlobalFlags, ProgramContext } from "./program_context.ts";
import { reportRegistryFailure } from "./registry_failure.ts";
import type { EnvReader } from "./settings.ts";
import type { CliWriter } from "./writer.ts";

/** The exit codes in `fleet devices --help` and `fleet registry init --help`. */
export const REGISTRY_EXIT_CODES_HELP: string = [
  "Exit codes:",
  "  0  done (fleet devices: the devices were listed, stale ones included)",
  "  1  the registry failed: its stream does not exist (run `fleet registry",
  "     init`), JetStream is off, permission denied, no answer in time",
  "  2  usage error (bad flag or value, malformed --server, …)",
  "  3  cannot connect to NATS, or the connection failed",
  "  4  internal error (a bug in fleet)",
].join("\n");

/**
 * Adds `fleet devices` to `program`.
 *
 * @example
 * ```ts ignore
 * import { addDevicesCommand } from "./devices.ts";
 * addDevicesCommand(program, context);
 * ```
 */
export function addDevicesCommand(
  program: Command,
  context: ProgramContext,
): void {
  program
    .command("devices")
    .summary("list every device the registry knows of")
    .description(
      "List every device the registry (the FLEET_DEVICES stream of last " +
        "heartbeats) knows of: status (online, or stale after 3 heartbeat " +
        "intervals without one), last seen, agent version, runtime, labels.",
    )
    .addHelpText("after", `\n${REGISTRY_EXIT_CODES_HELP}\n`)
    .action(async (_options: unknown, command: Command) => {
      context.done(
        await devicesCommand({
          flags: command.optsWithGlobals<GlobalFlags>(),
          getEnv: context.getEnv,
          stdout: context.stdout,
          stderr: context.stderr,
        }),
      );
    });
}

/** Options of {@linkcode devicesCommand}. */
export interface DevicesCommandOptions {
  /** The global flags: connection, `timeout` (whole ms) and `json`. */
  flags: CliConnectionFlags & { timeout: number; json?: boolean };
  /** Reads the environment (`NATS_*`, `HOME`, `XDG_CONFIG_HOME`). */
  getEnv: EnvReader;
  /** Where the table or JSON goes. */
  stdout: CliWriter;
  /** Where errors go. */
  stderr: CliWriter;
}

/**
 * `fleet devices`: connects, lists the registry, prints the table (or
 * `--json`: one array) and resolves with the exit code: 0, or 1 when the
 * registry could not be read.
 *
 * @throws {CliUsageError} for unusable settings.
 * @throws {CliConnectionError} when it cannot connect.
 * @example
 * ```ts ignore
 * import { devicesCommand } from "./devices.ts";
 * const code = await devicesCommand({ flags: { timeout: 5000 }, getEnv, stdout, stderr });
 * ```
 */
export async function devicesCommand(
  options: DevicesCommandOptions,
): Promise<number> {
  const { flags, stdout, stderr } = options;
  const nc = await connectFromCommandLine(flags, {
    getEnv: options.getEnv,
    timeoutMs: flags.timeout,
  });
  let listing;
  try {
    listing = await listDeviceRegistry(nc, { timeoutMs: flags.timeout });
  } catch (error) {
    return reportRegistryFailure(error, { stdout, stderr, json: flags.json });
  } finally {
    await nc.close();
  }
  stdout.write(
    flags.json
      ? `${JSON.stringify(devicesJson(listing))}\n`
      : renderDevicesTable(listing),
  );
  return 0;
}
