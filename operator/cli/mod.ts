/**
 * The `fleet` CLI: {@linkcode runCli} runs it with the arguments given and
 * resolves with its exit code ({@linkcode ExitCode}). One file per command
 * (`ping.ts`, …) beside the shared settings, connection, context, errors,
 * writer and help files.
 *
 * @example
 * ```ts ignore
 * import { runCli } from "@harmony/fleet/operator";
 * Deno.exit(await runCli(["ping", "vm-device-00"]));
 * ```
 *
 * @module
 */
export { type CliWriter, runCli, type RunCliOptions } from "./program.ts";
export { ExitCode } from "./exit_codes.ts";
