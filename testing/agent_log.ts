// Reading an agent process's JSON log lines.
import type { AgentProcess } from "./agent_process.ts";
import { waitFor } from "./wait.ts";

/** One JSON log line of the agent: `{"ts","level","event",…fields}`. */
export type AgentLogEvent = Record<string, unknown> & { event: string };

/** The lines of `text` that parse as agent log events, in order. */
export function parseAgentLog(text: string): AgentLogEvent[] {
  const events: AgentLogEvent[] = [];
  for (const line of text.split("\n")) {
    try {
      const value = JSON.parse(line);
      if (value && typeof value.event === "string") events.push(value);
    } catch {
      // Not a log line.
    }
  }
  return events;
}

/** The log events `agent` has written so far (read from its log file). */
export async function agentEvents(
  agent: AgentProcess,
): Promise<AgentLogEvent[]> {
  return parseAgentLog(await readLog(agent));
}

/** Options of {@linkcode waitForAgentEvent}. */
export interface WaitForAgentEventOptions {
  /** Only an event for which this holds counts. @default {every event} */
  where?: (line: AgentLogEvent) => boolean;
  /** Give up after this long. @default {15_000} */
  timeoutMs?: number;
}

/**
 * Waits until `agent` logs the event named `event` (and matching `where`),
 * and resolves with it; the timeout message carries the agent's log so far.
 */
export async function waitForAgentEvent(
  agent: AgentProcess,
  event: string,
  options: WaitForAgentEventOptions = {},
): Promise<AgentLogEvent> {
  const { where = () => true, timeoutMs = 15_000 } = options;
  try {
    return await waitFor(
      `agent log event "${event}"`,
      async () =>
        (await agentEvents(agent)).find((line) =>
          line.event === event && where(line)
        ),
      { timeoutMs },
    );
  } catch (error) {
    throw new Error(
      `${(error as Error).message}; its log so far:\n${await readLog(agent)}`,
      { cause: error },
    );
  }
}

/** The agent's log; empty until its shell wrapper has created the file. */
function readLog(agent: AgentProcess): Promise<string> {
  return Deno.readTextFile(agent.logPath).catch(() => "");
}
