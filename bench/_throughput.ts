// Throughput and memory of a ping responder under concurrent load, for
// `deno task bench`.
import { FleetCommandsClient } from "../operator/mod.ts";
import type { Stack } from "../e2e/mod.ts";

/** Pings sent to the agent in all (its RSS is read after them). */
export const FLOOD_AGENT_PINGS = 200_000;
/** Pings sent to the raw responder in all. */
export const FLOOD_RAW_PINGS = 100_000;
/** Pings in flight at any moment. */
export const FLOOD_IN_FLIGHT = 200;
const FLOOD_ROUNDS = 4;
const FLOOD_WARMUP = 2_000;

/** Options of {@linkcode pingFlood}. */
export interface PingFloodOptions {
  /** Pings sent in all. */
  total: number;
  /**
   * Pings in flight at any moment.
   *
   * @default {200}
   */
  inFlight?: number;
}

/**
 * Pings `deviceId` `total` times with `inFlight` pings outstanding at any
 * moment, and returns how long that took, in milliseconds.
 */
export async function pingFlood(
  client: FleetCommandsClient,
  deviceId: string,
  options: PingFloodOptions,
): Promise<number> {
  const { total, inFlight = 200 } = options;
  let sent = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(inFlight, total) }, async () => {
      while (sent < total) {
        sent++;
        await client.ping(deviceId);
      }
    }),
  );
  return performance.now() - started;
}

/** The resident set size of process `pid` in bytes (`VmRSS` of `/proc/<pid>/status`). */
export function residentBytes(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kib === undefined) {
    throw new Error(`Cannot read the RSS of process ${pid}: no VmRSS line`);
  }
  return Number(kib) * 1024;
}

/** A child process running `bench/_raw_responder.ts`, ready to answer. */
export async function startRawResponder(
  deviceId: string,
  connection: { url: string; user: string; password: string },
): Promise<AsyncDisposable> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      new URL("../deno.json", import.meta.url).pathname,
      new URL("./_raw_responder.ts", import.meta.url).pathname,
      deviceId,
    ],
    env: {
      NATS_URL: connection.url,
      NATS_USER: connection.user,
      NATS_PASSWORD: connection.password,
    },
    stdin: "null",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  while (!output.includes("ready")) {
    const { value, done } = await reader.read();
    if (done) {
      throw new Error(`The raw responder exited before it was ready`);
    }
    output += value;
  }
  reader.releaseLock();
  return {
    async [Symbol.asyncDispose]() {
      child.kill("SIGTERM");
      await child.stdout.cancel().catch(() => {});
      await child.status;
    },
  };
}

/**
 * Agent against a trivial responder on the same server, through the same
 * client, 200 pings in flight; in alternating rounds so that drift in the
 * machine's load hits both alike. The agent's RSS is read before any of it
 * (idle) and after its 200k pings.
 */
export async function measureThroughput(stack: Stack) {
  const client = new FleetCommandsClient(stack.operatorClient, {
    timeoutMs: 30_000,
  });
  const agentId = stack.deviceIds[0];
  const agentPid = stack.agent(agentId).pid;
  const rawId = `raw-${stack.namespace}`;
  await using _raw = await startRawResponder(rawId, {
    url: stack.natsUrl,
    ...stack.adminCredentials,
  });
  const idleRss = residentBytes(agentPid);
  const flood = (deviceId: string, total: number) =>
    pingFlood(client, deviceId, { total, inFlight: FLOOD_IN_FLIGHT });
  await flood(agentId, FLOOD_WARMUP);
  await flood(rawId, FLOOD_WARMUP);
  let agentMs = 0;
  let rawMs = 0;
  for (let round = 0; round < FLOOD_ROUNDS; round++) {
    agentMs += await flood(agentId, FLOOD_AGENT_PINGS / FLOOD_ROUNDS);
    rawMs += await flood(rawId, FLOOD_RAW_PINGS / FLOOD_ROUNDS);
  }
  return {
    agentPerS: (FLOOD_AGENT_PINGS / agentMs) * 1000,
    rawPerS: (FLOOD_RAW_PINGS / rawMs) * 1000,
    idleRss,
    loadedRss: residentBytes(agentPid),
  };
}
