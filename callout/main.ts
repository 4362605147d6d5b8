/**
 * The callout's entry point: `deno run -A callout/main.ts --config <file>`.
 * See `--help` for the config, the log and the exit codes.
 *
 * @module
 */
import { PACKAGE_VERSION } from "../contracts/mod.ts";
import { CalloutConfigError, loadCalloutConfig } from "./config.ts";
import { CalloutExitCode } from "./exit_codes.ts";
import { jsonLineLog } from "./log.ts";
import { initCallout } from "./init.ts";
import { runCallout } from "./run_callout.ts";
import { parseCalloutArgs, USAGE } from "./_args.ts";

/**
 * Runs the callout for `args` and returns the exit code (see
 * {@linkcode CalloutExitCode}). SIGTERM/SIGINT stop it gracefully: it
 * stops taking requests, answers those in flight, drains and exits 0.
 *
 * @example
 * ```ts ignore
 * import { main } from "./main.ts";
 * Deno.exit(await main(["--config", "callout.toml"]));
 * ```
 */
export async function main(args: readonly string[]): Promise<number> {
  const parsed = parseCalloutArgs(args);
  if (parsed.kind === "help") {
    console.log(USAGE);
    return CalloutExitCode.Ok;
  }
  if (parsed.kind === "version") {
    console.log(PACKAGE_VERSION);
    return CalloutExitCode.Ok;
  }
  if (parsed.kind === "usage_error") {
    console.error(`error: ${parsed.message}\n\n${USAGE}`);
    return CalloutExitCode.Config;
  }
  if (parsed.kind === "init") {
    try {
      const result = await initCallout(parsed.dir, {
        issuer: parsed.issuer,
        audience: parsed.audience,
        servers: parsed.servers.length > 0 ? parsed.servers : undefined,
        operatorSubjects: parsed.operators.length > 0
          ? parsed.operators
          : undefined,
      });
      console.log(
        `Wrote ${result.configPath} and ${result.serverConfigPath} (issuer ${result.issuerPublicKey}, xkey ${result.xkeyPublicKey}); seeds in ${parsed.dir}/issuer.nk and xkey.nk`,
      );
      return CalloutExitCode.Ok;
    } catch (error) {
      console.error(
        `error: cannot init the callout in "${parsed.dir}": ${
          error instanceof Error ? error.message : error
        }`,
      );
      return CalloutExitCode.Config;
    }
  }
  const log = jsonLineLog();
  let config;
  try {
    config = await loadCalloutConfig(parsed.configPath);
  } catch (error) {
    if (!(error instanceof CalloutConfigError)) throw error;
    log("error", "config_invalid", {
      message: error.message,
      path: error.path,
      key: error.key,
    });
    return CalloutExitCode.Config;
  }
  const controller = new AbortController();
  const signals: Deno.Signal[] = ["SIGTERM", "SIGINT"];
  const listeners = signals.map((signal) => {
    const listener = () => {
      if (controller.signal.aborted) return;
      log("info", "signal_received", { signal });
      controller.abort(signal);
    };
    Deno.addSignalListener(signal, listener);
    return [signal, listener] as const;
  });
  try {
    return await runCallout(config, { signal: controller.signal, log });
  } finally {
    for (const [signal, listener] of listeners) {
      Deno.removeSignalListener(signal, listener);
    }
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
