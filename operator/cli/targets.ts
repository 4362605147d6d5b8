import { type Command, InvalidArgumentError, Option } from "commander";
import type { FleetCommandsClient } from "../client.ts";
import { DEFAULT_FANOUT_CONCURRENCY } from "../fanout.ts";
import { RegistryError } from "../registry_errors.ts";
import {
  checkTargetSpec,
  InvalidTargetError,
  needsKnownDevices,
  NoMatchingDevicesError,
  resolveTargets,
  type TargetSpec,
} from "../targeting.ts";
import { CliUsageError } from "./errors.ts";

/** The targeting flags of `fleet ping` and `fleet exec`, as parsed. */
export interface TargetFlags {
  /** `--all`. */
  all?: boolean;
  /** `-l, --selector`, repeated. */
  selector?: string[];
  /** `--concurrency`. */
  concurrency: number;
}

/** The `--help` text on targeting. */
export const TARGETING_HELP: string = [
  "Targets:",
  "  <device-id>       that device, known to the registry or not",
  "  'edge-*'          every known device whose id matches the glob (* ? [a-z]",
  "                    [!a]); quote it from the shell",
  "  --all             every known device",
  "  -l site=berlin,role!=edge",
  "                    known devices whose labels match (=, ==, !=, key, !key;",
  "                    != and !key also match a device without the label);",
  "                    with ids or globs it narrows them",
  "  Known devices are those of the device registry (fleet devices). A glob,",
  "  --all or -l that matches no device is an error naming it (ping: exit",
  "  2; exec: 125); nothing is sent then.",
].join("\n");

/**
 * Adds `--all`, `-l, --selector` and `--concurrency` to `command`.
 *
 * @example
 * ```ts ignore
 * import { addTargetOptions } from "./targets.ts";
 * addTargetOptions(program.command("ping"));
 * ```
 */
export function addTargetOptions(command: Command): Command {
  return command
    .option("--all", "every device the device registry knows")
    .addOption(
      new Option(
        "-l, --selector <selector>",
        "known devices whose labels match, e.g. site=berlin,role!=edge " +
          "(repeatable: all must match)",
      ).argParser(collectSelector),
    )
    .addOption(
      new Option(
        "--concurrency <n>",
        "at most this many devices' commands in flight at once",
      ).default(DEFAULT_FANOUT_CONCURRENCY).argParser(parseConcurrency),
    );
}

function collectSelector(value: string, previous: string[] | undefined) {
  return [...(previous ?? []), value];
}

/**
 * Parses `--concurrency`: a whole number, 1 or more.
 *
 * @throws {InvalidArgumentError} for anything else.
 * @example
 * ```ts
 * import { parseConcurrency } from "./targets.ts";
 * parseConcurrency("64"); // 64
 * ```
 */
export function parseConcurrency(value: string): number {
  const n = /^[0-9]+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new InvalidArgumentError("expected a whole number, 1 or more.");
  }
  return n;
}

/**
 * The {@linkcode TargetSpec} of a command line, checked (before anything
 * connects).
 *
 * @throws {CliUsageError} for an invalid id, glob or selector, `--all`
 *   with ids, or no target at all.
 * @example
 * ```ts
 * import { targetSpecOf } from "./targets.ts";
 * targetSpecOf(["edge-*"], { concurrency: 256 }); // { targets: ["edge-*"], all: false, selectors: [] }
 * ```
 */
export function targetSpecOf(
  targets: readonly string[],
  flags: TargetFlags,
): TargetSpec {
  const spec = {
    targets,
    all: flags.all === true,
    selectors: flags.selector ?? [],
  };
  try {
    checkTargetSpec(spec);
  } catch (error) {
    throw usageError(error);
  }
  return spec;
}

/**
 * The device ids `spec` stands for: explicit ids as they are; globs,
 * `--all` and selectors against `client.devices()`.
 *
 * @throws {CliUsageError} when a glob, `--all` or a selector matches no
 *   device (naming it), or the registry cannot be read (its message).
 * @example
 * ```ts ignore
 * import { resolveCliTargets } from "./targets.ts";
 * const ids = await resolveCliTargets(spec, client);
 * ```
 */
export async function resolveCliTargets(
  spec: TargetSpec,
  client: FleetCommandsClient,
): Promise<string[]> {
  try {
    const known = needsKnownDevices(spec) ? await client.devices() : [];
    return resolveTargets(spec, known);
  } catch (error) {
    if (error instanceof RegistryError) {
      throw new CliUsageError(
        `Cannot resolve the targets: ${error.message}`,
        { cause: error },
      );
    }
    throw usageError(error);
  }
}

function usageError(error: unknown): unknown {
  if (
    error instanceof InvalidTargetError ||
    error instanceof NoMatchingDevicesError
  ) {
    return new CliUsageError(error.message, { cause: error });
  }
  return error;
}
