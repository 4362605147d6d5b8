/**
 * The agent's entry point: `deno run -A agent/main.ts --config <file>`.
 * See `--help` for the log format, signals and exit codes.
 *
 * @module
 */
import { AgentConfigError, loadAgentConfig } from "./config.ts";
import { AgentExitCode } from "./exit_codes.ts";
import { Logger } from "./log.ts";
import { runAgent } from "./run_agent.ts";
import { parseArgs, USAGE } from "./_args.ts";
import { PACKAGE_VERSION } from "../contracts/mod.ts";

const SIGNALS: Deno.Signal[] = ["SIGTERM", "SIGINT"];

/**
 * Runs the agent for `args` (command-line arguments) and returns the exit
 * code: 0 stopped by a signal, 1 internal error, 2 usage/config/runtime, 3
 * NATS authentication failed, 4 NATS refused the subscription or closed
 * the connection for good. A second SIGTERM/SIGINT exits at once with 1.
 *
 * @example
 * ```ts ignore
 * import { main } from "./main.ts";
 * Deno.exit(await main(["--config", "agent.toml"]));
 * ```
 */
export async function main(args: readonly string[]): Promise<number> {
  const parsed = parseArgs(args);
  switch (parsed.kind) {
    case "help":
      console.log(USAGE);
      return AgentExitCode.Ok;
    case "version":
      console.log(PACKAGE_VERSION);
      return AgentExitCode.Ok;
    case "usage_error":
      console.error(`error: ${parsed.message}\n\n${USAGE}`);
      return AgentExitCode.Config;
  }

  const logger = new Logger();
  let config;
  try {
    config = await loadAgentConfig(parsed.configPath);
  } catch (error) {
    if (!(error instanceof AgentConfigError)) throw error;
    logger.error("config_invalid", {
      message: error.message,
      path: error.path,
      key: error.key,
      line: error.line,
    });
    return AgentExitCode.Config;
  }

  const controller = new AbortController();
  const onSignal = (signal: Deno.Signal) => () => {
    if (controller.signal.aborted) {
      logger.warn("shutdown_forced", { signal });
      Deno.exit(AgentExitCode.Internal);
    }
    logger.info("signal_received", { signal });
    controller.abort(signal);
  };
  const listeners = SIGNALS.map((signal) =>
    [signal, onSignal(signal)] as const
  );
  for (const [signal, listener] of listeners) {
    Deno.addSignalListener(signal, listener);
  }
  try {
    return await runAgent(config, { signal: controller.signal, logger });
  } finally {
    for (const [signal, listener] of listeners) {
      Deno.removeSignalListener(signal, listener);
    }
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
