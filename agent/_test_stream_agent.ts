// Test entry: the agent (`runAgent`, as agent/main.ts runs it, stopped by
// SIGTERM/SIGINT) with a test `logs` handler that sends one line per
// request, then waits until its signal aborts and logs `test_stream_aborted`.
// Lets a test send a real SIGTERM to an agent process with an open stream.
// Not published.
import { parseArgs } from "./_args.ts";
import { loadAgentConfig } from "./config.ts";
import { Logger } from "./log.ts";
import { runAgent } from "./run_agent.ts";

const parsed = parseArgs(Deno.args);
if (parsed.kind !== "run") throw new Error(`bad arguments: ${Deno.args}`);
const config = await loadAgentConfig(parsed.configPath);
const logger = new Logger();
const controller = new AbortController();
for (const signal of ["SIGTERM", "SIGINT"] as const) {
  Deno.addSignalListener(signal, () => controller.abort(signal));
}
const code = await runAgent(config, {
  signal: controller.signal,
  logger,
  handlers: {
    logs: async function* (ctx) {
      yield {
        stream: "stdout",
        data: new TextEncoder().encode(`line of ${ctx.request.container}\n`),
      };
      await new Promise((resolve) =>
        ctx.signal.addEventListener("abort", resolve, { once: true })
      );
      logger.info("test_stream_aborted", {
        request_id: ctx.requestId,
        reason: String(ctx.signal.reason),
      });
    },
  },
});
Deno.exit(code);
