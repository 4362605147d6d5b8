// NATS failover on a 3-node cluster: one node killed (kill -9) under a
// steady ping load, and the whole cluster restarted. Private to bench/.
import { FleetCommandsClient } from "../operator/mod.ts";
import { Stack } from "../e2e/mod.ts";
import { waitFor } from "../testing/mod.ts";
import { busiestNode } from "../e2e/_cluster_placement.ts";
import { failoverFigures, PingLoad } from "../e2e/_ping_load.ts";
import { median } from "./stats.ts";

/** Devices of the failover stack. */
export const FAILOVER_DEVICES = 6;
/** Node kills (and whole-cluster restarts), each measured on its own. */
export const FAILOVER_ROUNDS = 5;
/** Each device is pinged this often, open loop. */
export const FAILOVER_PING_INTERVAL_MS = 20;
/** Each ping's timeout. */
export const FAILOVER_PING_TIMEOUT_MS = 1_000;
/**
 * The load runs this long before the kill: agents that connected less
 * than their reconnect wait (1 s) ago wait that long before trying again.
 */
const WARM_MS = 2_000;

/** What the failover bench measured, per round. */
export interface FailoverSamples {
  /** Failed pings of each node kill. */
  failedPings: number[];
  /** Each node kill until every device had answered again, ms. */
  recoveryMs: number[];
  /** Each whole-cluster restart, from the stop until every agent answered, ms. */
  restartBackMs: number[];
}

/** The bench's JSON keys for failover. */
export interface FailoverResult {
  /** p50 of the failed pings of one node kill. */
  failover_failed_pings: number;
  /** p50 of the time from a node kill until every device answered again, ms. */
  failover_recovery_ms: number;
  /** p50 of the time from a whole-cluster restart's stop until every agent answered, ms. */
  cluster_restart_back_ms: number;
}

/** Runs the rounds on one stack of 6 devices and a 3-node cluster. */
export async function measureFailover(): Promise<FailoverSamples> {
  await using stack = await Stack.bringUp({
    devices: FAILOVER_DEVICES,
    natsCluster: 3,
  });
  const client = new FleetCommandsClient(stack.operatorClient);
  const ids = stack.deviceIds;
  const samples: FailoverSamples = {
    failedPings: [],
    recoveryMs: [],
    restartBackMs: [],
  };
  const load = () =>
    PingLoad.start(client, ids, {
      intervalMs: FAILOVER_PING_INTERVAL_MS,
      timeoutMs: FAILOVER_PING_TIMEOUT_MS,
    });
  for (let round = 0; round < FAILOVER_ROUNDS; round++) {
    {
      await using pings = load();
      const warmFrom = performance.now();
      await waitFor(
        "the load to run",
        () =>
          performance.now() - warmFrom >= WARM_MS &&
          pings.allAnsweredSince(ids, warmFrom),
        { timeoutMs: WARM_MS + 10_000, intervalMs: 50 },
      );
      const victim = await busiestNode(stack);
      const killedAt = performance.now();
      await stack.natsCluster.kill(victim.index);
      const afterKill = performance.now();
      await waitFor(
        "every device answering after the kill",
        () => pings.allAnsweredSince(ids, afterKill),
        { timeoutMs: 20_000 },
      );
      const figures = failoverFigures(await pings.stop(), killedAt);
      samples.failedPings.push(figures.failed);
      samples.recoveryMs.push(figures.recoveryMs);
      await stack.natsCluster.start(victim.index);
    }
    {
      await using pings = load();
      await waitFor(
        "every device answering",
        () => pings.allAnsweredSince(ids, 0),
      );
      const stoppingAt = performance.now();
      await stack.natsCluster.restart();
      const upAt = performance.now();
      await waitFor(
        "every agent answering after the restart",
        () => pings.allAnsweredSince(ids, upAt),
        { timeoutMs: 20_000 },
      );
      samples.restartBackMs.push(performance.now() - stoppingAt);
    }
  }
  return samples;
}

/** The JSON keys of `samples`: medians, whole pings and whole ms. */
export function failoverResult(samples: FailoverSamples): FailoverResult {
  return {
    failover_failed_pings: Math.round(median(samples.failedPings)),
    failover_recovery_ms: Math.round(median(samples.recoveryMs)),
    cluster_restart_back_ms: Math.round(median(samples.restartBackMs)),
  };
}

/** The table rows of the failover bench. */
export function failoverRows(
  samples: FailoverSamples,
  result: FailoverResult,
): Array<[string, string, string, string]> {
  const max = (values: number[]) => Math.round(Math.max(...values));
  return [
    [
      `failed pings, 1 of 3 nodes killed, ${FAILOVER_DEVICES} devices pinged every ${FAILOVER_PING_INTERVAL_MS} ms (n=${FAILOVER_ROUNDS})`,
      `${result.failover_failed_pings}`,
      `max ${max(samples.failedPings)}`,
      "",
    ],
    [
      `node killed until every device answers (n=${FAILOVER_ROUNDS})`,
      `${result.failover_recovery_ms} ms`,
      `max ${max(samples.recoveryMs)} ms`,
      "",
    ],
    [
      `whole cluster restarted (stop, start) until every agent answers (n=${FAILOVER_ROUNDS})`,
      `${result.cluster_restart_back_ms} ms`,
      `max ${max(samples.restartBackMs)} ms`,
      "≤ 5000 ms",
    ],
  ];
}

if (import.meta.main) {
  const samples = await measureFailover();
  const result = failoverResult(samples);
  for (const row of failoverRows(samples, result)) console.log(row.join("  "));
  console.log(JSON.stringify(result));
}
