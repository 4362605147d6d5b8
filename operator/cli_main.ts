/**
 * Entry point of the `fleet` CLI for `deno run -A operator/cli_main.ts …`;
 * the root `mod.ts` runs the same {@linkcode runCli} when executed as main.
 *
 * @module
 */
import { runCli } from "./cli/mod.ts";

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args));
}
