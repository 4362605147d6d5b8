import { type Command, InvalidArgumentError, Option } from "commander";
import { DEVICE_REGISTRY_STREAM } from "../../contracts/mod.ts";
import { ensureDeviceRegistry } from "../registry.ts";
import {
  type CliConnectionFlags,
  connectFromCommandLine,
} from "./connection.ts";
import { REGISTRY_EXIT_CODES_HELP } from "./devices.ts";
import type { GlobalFlags, ProgramContext } from "./program_context.ts";
import { reportRegistryFailure } from "./registry_failure.ts";
import type { EnvReader } from "./settings.ts";
import type { CliWriter } from "./writer.ts";

function parseReplicas(value: string): number {
  if (!["1", "3", "5"].includes(value)) {
    throw new InvalidArgumentError("expected 1, 3 or 5.");
  }
  return Number(value);
}

/**
 * Adds `fleet registry init [--replicas N]` to `program`.
 *
 * @example
 * ```ts ignore
 * import { addRegistryCommand } from "./registry.ts";
 * addRegistryCommand(program, context);
 * ```
 */
export function addRegistryCommand(
  program: Command,
  context: ProgramContext,
): void {
  const registry = program
    .command("registry")
    .summary("manage the device registry stream")
    .description(
      `The device registry: the JetStream stream ${DEVICE_REGISTRY_STREAM} ` +
        "over device-heartbeat.>, keeping the last heartbeat of each device.",
    );
  registry
    .command("init")
    .summary("create the registry stream (idempotent)")
    .description(
      `Create the JetStream stream ${DEVICE_REGISTRY_STREAM} (subjects ` +
        "device-heartbeat.>, one message per subject, file storage), or bring " +
        "an existing one to those settings; does nothing when it already is. " +
        "Needs a JetStream-enabled server and a user allowed to create " +
        "streams (an administrator, not an operator).",
    )
    .addOption(
      new Option(
        "--replicas <n>",
        "copies in a JetStream cluster: 1, 3 or 5",
      ).default(1).argParser(parseReplicas),
    )
    .addHelpText("after", `\n${REGISTRY_EXIT_CODES_HELP}\n`)
    .action(async (_options: unknown, command: Command) => {
      context.done(
        await registryInitCommand({
          flags: command.optsWithGlobals<GlobalFlags & { replicas: number }>(),
          getEnv: context.getEnv,
          stdout: context.stdout,
          stderr: context.stderr,
        }),
      );
    });
}

/** Options of {@linkcode registryInitCommand}. */
export interface RegistryInitCommandOptions {
  /** The global flags plus `replicas`. */
  flags: CliConnectionFlags & {
    timeout: number;
    json?: boolean;
    replicas: number;
  };
  /** Reads the environment. */
  getEnv: EnvReader;
  /** Where the result goes. */
  stdout: CliWriter;
  /** Where errors go. */
  stderr: CliWriter;
}

/**
 * `fleet registry init`: creates (or updates, or leaves) the registry
 * stream, prints one line (`--json`: `{"stream", "action", "replicas",
 * "devices"}`) and resolves with 0, or 1 when the registry failed.
 *
 * @throws {CliUsageError} for unusable settings.
 * @throws {CliConnectionError} when it cannot connect.
 * @example
 * ```ts ignore
 * import { registryInitCommand } from "./registry.ts";
 * await registryInitCommand({ flags: { timeout: 5000, replicas: 1 }, getEnv, stdout, stderr });
 * ```
 */
export async function registryInitCommand(
  options: RegistryInitCommandOptions,
): Promise<number> {
  const { flags, stdout, stderr } = options;
  const nc = await connectFromCommandLine(flags, {
    getEnv: options.getEnv,
    timeoutMs: flags.timeout,
  });
  let result;
  try {
    result = await ensureDeviceRegistry(nc, {
      replicas: flags.replicas,
      timeoutMs: flags.timeout,
    });
  } catch (error) {
    return reportRegistryFailure(error, { stdout, stderr, json: flags.json });
  } finally {
    await nc.close();
  }
  if (flags.json) {
    stdout.write(`${JSON.stringify(result)}\n`);
  } else {
    const what = result.action === "created"
      ? "created"
      : result.action === "updated"
      ? "updated to the registry's settings"
      : "already exists";
    stdout.write(
      `Registry stream ${result.stream} ${what}: ${result.replicas} ${
        result.replicas === 1 ? "replica" : "replicas"
      }, ${result.devices} ${
        result.devices === 1 ? "device" : "devices"
      } known (subjects device-heartbeat.>, last heartbeat per device)\n`,
    );
  }
  return 0;
}
