/**
 * Helpers shared by the tests of every folder (`nats/`, `operator/`,
 * `agent/`, `e2e/`): waiting for a condition, temp dirs, free ports, the
 * admin user of test servers, permission checks, and reading an agent
 * process's JSON log. It also re-exports the harness pieces tests start
 * processes with ({@linkcode NatsServerProcess}, {@linkcode AgentProcess}),
 * so a test outside `e2e/` has one module to import. Test-only: not part of
 * the public API, and not published.
 *
 * @module
 */
import assert from "node:assert/strict";
import {
  type NatsConnection,
  PermissionViolationError,
} from "@nats-io/nats-core";
import type { AgentProcess } from "./agent_process.ts";
import type { Credentials } from "./nats_server_config.ts";
export {
  AgentProcess,
  type AgentProcessOptions,
  renderAgentConfig,
} from "./agent_process.ts";
export { quoteNatsConfigString } from "./nats_server_config.ts";
export { NatsServerProcess } from "./nats_server_process.ts";
export { pickFreePort } from "./_free_port.ts";

/** The admin user of test nats-servers: allowed everything. */
export const TEST_ADMIN: Readonly<Credentials> = Object.freeze({
  user: "admin",
  password: "admin-pw",
});

/** Options of {@linkcode waitFor}. */
export interface WaitForOptions {
  /** Give up after this long. @default {10_000} */
  timeoutMs?: number;
  /** Pause between two checks. @default {10} */
  intervalMs?: number;
}

/**
 * Checks `condition` until it returns (or resolves to) something other than
 * `undefined` or `false`, and resolves with that; throws
 * `Timed out after <ms> ms waiting for <what>` once `timeoutMs` has passed.
 * A condition that throws or rejects ends the wait with its error.
 *
 * @example
 * ```ts ignore
 * const ready = await waitFor("ready", () => logs.find((l) => l.event === "ready"));
 * await waitFor("a disconnect", () => seen.includes("disconnect"), { timeoutMs: 5_000 });
 * ```
 */
export async function waitFor<T>(
  what: string,
  condition: () => T | Promise<T>,
  options: WaitForOptions = {},
): Promise<Exclude<T, undefined | false>> {
  const { timeoutMs = 10_000, intervalMs = 10 } = options;
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const value = await condition();
    if (value !== undefined && value !== false) {
      return value as Exclude<T, undefined | false>;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** A temp dir (`<prefix>…`), removed with everything in it on dispose. */
export async function tempDir(
  prefix = "fleet-test-",
): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}

/** Whether a process with `pid` exists (and is not a zombie). */
export function processAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Pids of the processes whose command line contains `text`, this one excluded. */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid) || pid === Deno.pid) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
      if (cmdline.includes(text) && processAlive(pid)) pids.push(pid);
    } catch {
      // Exited meanwhile.
    }
  }
  return pids;
}

/** Entries of the temp dir whose names start with `prefix`. */
export function tempEntries(prefix: string): string[] {
  const tmp = Deno.env.get("TMPDIR") || "/tmp";
  return [...Deno.readDirSync(tmp)]
    .map((entry) => entry.name)
    .filter((name) => name.startsWith(prefix));
}

/** Whether `path` exists. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The async errors of a connection, as {@linkcode watchErrors} collects them. */
export interface ErrorWatch {
  /** The connection watched. */
  readonly nc: NatsConnection;
  /** Errors received and not yet taken by `next()`. */
  readonly errors: Error[];
  /** Ends when the connection closes. */
  readonly done: Promise<void>;
  /** Takes the next error, waiting up to 2 s for one; `undefined` if none came. */
  next(): Promise<Error | undefined>;
}

/** Collects `nc`'s async errors (e.g. publish permission violations). */
export function watchErrors(nc: NatsConnection): ErrorWatch {
  const errors: Error[] = [];
  let wake = () => {};
  const done = (async () => {
    for await (const event of nc.status()) {
      if (event.type === "error") {
        errors.push(event.error);
        wake();
      }
    }
  })();
  return {
    nc,
    errors,
    done,
    async next(): Promise<Error | undefined> {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (errors.length > 0) resolve();
        timer = setTimeout(resolve, 2000);
      });
      clearTimeout(timer);
      return errors.shift();
    },
  };
}

/**
 * Asserts that the server refuses `nc` a subscription to `subject`: its
 * `-ERR` closes the subscription before the flush's PONG comes.
 */
export async function assertSubscribeDenied(
  nc: NatsConnection,
  subject: string,
): Promise<void> {
  const sub = nc.subscribe(subject);
  const closed = await Promise.race([
    sub.closed,
    nc.flush().then(() => "still subscribed"),
  ]);
  assert.ok(
    closed instanceof PermissionViolationError,
    `${subject}: ${closed}`,
  );
  assert.equal(closed.operation, "subscription");
  assert.equal(closed.subject, subject);
}

/**
 * Asserts that the server refuses the watched connection a publish on
 * `subject`: the next error `watch` sees is a publish permission violation
 * for it.
 */
export async function assertPublishDenied(
  watch: ErrorWatch,
  subject: string,
): Promise<void> {
  watch.nc.publish(subject, "{}");
  const error = await watch.next();
  assert.ok(error instanceof PermissionViolationError, `${subject}: ${error}`);
  assert.equal(error.operation, "publish");
  assert.equal(error.subject, subject);
}

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
