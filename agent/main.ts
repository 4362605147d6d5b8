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
 * The same signal again within this many milliseconds of the first is the
 * same request to stop, not a second one: a terminal's Ctrl-C sends SIGINT
 * to every process of the foreground group, and `deno task` forwards it to
 * the agent once more, so one Ctrl-C arrives twice within a few
 * milliseconds. A person pressing Ctrl-C again does so later than this.
 */
const SAME_SIGNAL_WINDOW_MS = 1000;

/**
 * Runs the agent for `args` (command-line arguments) and returns the exit
 * code: 0 stopped by a signal, 1 internal error, 2 usage/config/runtime, 3
 * NATS authentication failed, 4 NATS refused the subscription or closed
 * the connection for good. SIGTERM/SIGINT stop gracefully; the same signal
 * again within 1 s is taken as the same one (logged `signal_repeated`);
 * any later or other signal exits at once with 1 (`shutdown_forced`).
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
  let first: { signal: Deno.Signal; at: number } | undefined;
  const onSignal = (signal: Deno.Signal) => () => {
    const now = performance.now();
    if (first === undefined) {
      first = { signal, at: now };
      logger.info("signal_received", { signal });
      controller.abort(signal);
      return;
    }
    const sinceMs = Math.round(now - first.at);
    if (signal === first.signal && sinceMs < SAME_SIGNAL_WINDOW_MS) {
      logger.info("signal_repeated", {
        signal,
        since_first_ms: sinceMs,
        message:
          `Taken as the same ${signal} (a terminal's Ctrl-C reaches the agent twice under \`deno task\`); send it again after ${SAME_SIGNAL_WINDOW_MS} ms to force the exit`,
      });
      return;
    }
    logger.warn("shutdown_forced", { signal, since_first_ms: sinceMs });
    Deno.exit(AgentExitCode.Internal);
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
