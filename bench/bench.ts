// `deno task bench`: ping overhead against a raw request, local stack
// bring-up and teardown, how fast an offline device fails, one agent's
// throughput and memory under 200 pings in flight against a trivial
// responder's, what mutual TLS costs (connect and ping, against plain),
// logs and exec through the agent against straight to podman (null without
// podman), a fan-out over 1,000 and 10,000 simulated devices, and NATS
// failover on a 3-node cluster (a node killed under a ping load, the whole
// cluster restarted). Prints a table, then one JSON object as the very last
// line.
import { Empty } from "@nats-io/nats-core";
import { deviceCommandSubject, Verb } from "../contracts/mod.ts";
import { DeviceOfflineError, FleetCommandsClient } from "../operator/mod.ts";
import { Stack } from "../e2e/mod.ts";
import { median, percentile } from "./stats.ts";
import { measureFanout } from "./_fanout.ts";
import {
  FLOOD_AGENT_PINGS,
  FLOOD_IN_FLIGHT,
  FLOOD_RAW_PINGS,
  measureThroughput,
} from "./_throughput.ts";
import {
  CONNECT_ROUNDS,
  measureConnect,
  measureTlsPing,
  TLS_PING_ROUNDS,
} from "./_tls.ts";
import {
  EXEC_ROUNDS,
  LOG_BYTES,
  LOGS_ROUNDS,
  measureLogsExec,
} from "./_logs_exec.ts";
import { logsExecFigures } from "./_logs_exec_figures.ts";
import { calloutFigures, calloutRows, measureCallout } from "./_callout.ts";
import {
  measurePodmanBackend,
  PODMAN_STACK_ROUNDS,
} from "./_podman_backend.ts";
import { failoverResult, failoverRows, measureFailover } from "./_failover.ts";

const PING_ROUNDS = 3000;
const PING_WARMUP = 300;
const STACK_ROUNDS = 10;
const OFFLINE_ROUNDS = 300;

async function measurePing(stack: Stack) {
  const client = new FleetCommandsClient(stack.operatorClient);
  const nc = stack.operatorClient;
  const deviceId = stack.deviceIds[0];
  const subject = deviceCommandSubject(deviceId, Verb.Ping);
  const ping: number[] = [];
  const raw: number[] = [];
  for (let round = 0; round < PING_WARMUP + PING_ROUNDS; round++) {
    // Interleaved, and alternating which goes first, so drift hits both alike.
    const clientFirst = round % 2 === 0;
    let clientUs = 0;
    let rawUs = 0;
    if (clientFirst) clientUs = await timeUs(() => client.ping(deviceId));
    rawUs = await timeUs(() => nc.request(subject, Empty, { timeout: 5000 }));
    if (!clientFirst) clientUs = await timeUs(() => client.ping(deviceId));
    if (round >= PING_WARMUP) {
      ping.push(clientUs);
      raw.push(rawUs);
    }
  }
  return { ping, raw };
}

async function measureStack() {
  const bringUp: number[] = [];
  const teardown: number[] = [];
  for (let round = 0; round < STACK_ROUNDS; round++) {
    let started = performance.now();
    const stack = await Stack.bringUp({ devices: 1 });
    bringUp.push(performance.now() - started);
    started = performance.now();
    await stack[Symbol.asyncDispose]();
    teardown.push(performance.now() - started);
  }
  return { bringUp, teardown };
}

async function measureOffline(stack: Stack): Promise<number[]> {
  const client = new FleetCommandsClient(stack.operatorClient);
  const samples: number[] = [];
  for (let round = 0; round < OFFLINE_ROUNDS; round++) {
    const started = performance.now();
    try {
      await client.ping(`offline-${stack.namespace}`);
      throw new Error("An offline device answered a ping");
    } catch (error) {
      if (!(error instanceof DeviceOfflineError)) throw error;
    }
    samples.push(performance.now() - started);
  }
  return samples;
}

async function timeUs(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) * 1000;
}

const round1 = (value: number) => Math.round(value * 10) / 10;
const round3 = (value: number) => Math.round(value * 1000) / 1000;

/** Runs every measure, prints the table, then the JSON line. */
async function main(): Promise<void> {
  // First, while this process is fresh: the direct podman reads run in this
  // process (the agent's in its own), so what the floods below leave in its
  // heap must not weigh on one side only.
  const logsExec = await measureLogsExec();
  if ("skipped" in logsExec) {
    console.log(`logs/exec against podman not measured: ${logsExec.skipped}`);
  }
  const stackTimes = await measureStack();
  let pingTimes: { ping: number[]; raw: number[] };
  let offline: number[];
  let throughput: Awaited<ReturnType<typeof measureThroughput>>;
  {
    await using stack = await Stack.bringUp({ devices: 1 });
    pingTimes = await measurePing(stack);
    offline = await measureOffline(stack);
  }
  {
    // A fresh agent, so that its idle RSS is that of an agent that has done
    // nothing yet.
    await using stack = await Stack.bringUp({ devices: 1 });
    throughput = await measureThroughput(stack);
  }

  const podmanBackend = await measurePodmanBackend();
  if ("skipped" in podmanBackend) {
    console.log(`podman backend not measured: ${podmanBackend.skipped}`);
  }
  const podmanStack = "skipped" in podmanBackend ? undefined : podmanBackend;
  const failoverSamples = await measureFailover();
  const failover = failoverResult(failoverSamples);
  const connectTimes = await measureConnect();
  const tlsPingTimes = await measureTlsPing();
  const callout = await measureCallout();
  const logsExecSamples = "skipped" in logsExec ? undefined : logsExec;
  const logsExecResult = logsExecFigures(logsExecSamples);
  const fanout = await measureFanout();

  const result = {
    ping_p50_us: round1(median(pingTimes.ping)),
    raw_p50_us: round1(median(pingTimes.raw)),
    ping_vs_raw_p50: round3(median(pingTimes.ping) / median(pingTimes.raw)),
    ping_p99_us: round1(percentile(pingTimes.ping, 99)),
    raw_p99_us: round1(percentile(pingTimes.raw, 99)),
    bringup_ms_p50: round1(median(stackTimes.bringUp)),
    teardown_ms_p50: round1(median(stackTimes.teardown)),
    offline_ms_p50: round3(median(offline)),
    agent_pings_per_s: Math.round(throughput.agentPerS),
    raw_responder_pings_per_s: Math.round(throughput.rawPerS),
    agent_vs_raw_throughput: round3(throughput.agentPerS / throughput.rawPerS),
    agent_idle_rss_mb: round1(throughput.idleRss / 2 ** 20),
    agent_loaded_rss_mb: round1(throughput.loadedRss / 2 ** 20),
    agent_rss_growth: round3(throughput.loadedRss / throughput.idleRss),
    plain_connect_ms_p50: round3(median(connectTimes.plain)),
    tls_connect_ms_p50: round3(median(connectTimes.tls)),
    tls_vs_plain_connect_p50: round3(
      median(connectTimes.tls) / median(connectTimes.plain),
    ),
    plain_stack_ping_p50_us: round1(median(tlsPingTimes.plain)),
    tls_ping_p50_us: round1(median(tlsPingTimes.tls)),
    tls_ping_vs_plain_p50: round3(
      median(tlsPingTimes.tls) / median(tlsPingTimes.plain),
    ),
    ...logsExecResult,
    ...calloutFigures(callout),
    bringup_podman_ms_p50: podmanStack
      ? round1(median(podmanStack.bringUpMs))
      : null,
    teardown_podman_ms_p50: podmanStack
      ? round1(median(podmanStack.teardownMs))
      : null,
    agent_image_mb: podmanStack
      ? round1(podmanStack.agentImageBytes / 1e6)
      : null,
    ...fanout.figures,
    ...failover,
  };
  const orSkipped = (value: number | null, unit = "") =>
    value === null ? "not measured" : `${value}${unit}`;
  const p99Ms = (samples: number[] | undefined) =>
    samples === undefined ? "" : `${round3(percentile(samples, 99))} ms`;

  const rows: Array<[string, string, string, string]> = [
    ["measure", "p50", "p99", "target"],
    [
      `FleetCommandsClient.ping (n=${PING_ROUNDS})`,
      `${result.ping_p50_us} µs`,
      `${result.ping_p99_us} µs`,
      "",
    ],
    [
      `raw nc.request (n=${PING_ROUNDS})`,
      `${result.raw_p50_us} µs`,
      `${result.raw_p99_us} µs`,
      "",
    ],
    [
      "ping / raw",
      `${result.ping_vs_raw_p50}`,
      `${round3(result.ping_p99_us / result.raw_p99_us)}`,
      "p50 ≤ 1.15",
    ],
    [
      `bring-up, 1 device to first ping (n=${STACK_ROUNDS})`,
      `${result.bringup_ms_p50} ms`,
      `${round1(percentile(stackTimes.bringUp, 99))} ms`,
      "≤ 1000 ms",
    ],
    [
      `teardown (n=${STACK_ROUNDS})`,
      `${result.teardown_ms_p50} ms`,
      `${round1(percentile(stackTimes.teardown, 99))} ms`,
      "≤ 300 ms",
    ],
    [
      `offline device fails (n=${OFFLINE_ROUNDS})`,
      `${result.offline_ms_p50} ms`,
      `${round3(percentile(offline, 99))} ms`,
      "≤ 5 ms",
    ],
    [
      `agent pings/s, ${FLOOD_IN_FLIGHT} in flight (n=${FLOOD_AGENT_PINGS})`,
      `${result.agent_pings_per_s}/s`,
      "",
      "",
    ],
    [
      `raw responder pings/s, same client (n=${FLOOD_RAW_PINGS})`,
      `${result.raw_responder_pings_per_s}/s`,
      "",
      "",
    ],
    [
      "agent / raw throughput",
      `${result.agent_vs_raw_throughput}`,
      "",
      "≥ 0.7",
    ],
    [
      `agent RSS after ${FLOOD_AGENT_PINGS} pings / idle`,
      `${result.agent_rss_growth} (${result.agent_idle_rss_mb} → ${result.agent_loaded_rss_mb} MB)`,
      "",
      "≤ 1.3",
    ],
    [
      `connect(), plain (n=${CONNECT_ROUNDS})`,
      `${result.plain_connect_ms_p50} ms`,
      `${round3(percentile(connectTimes.plain, 99))} ms`,
      "",
    ],
    [
      `connect(), mutual TLS, TLS first (n=${CONNECT_ROUNDS})`,
      `${result.tls_connect_ms_p50} ms`,
      `${round3(percentile(connectTimes.tls, 99))} ms`,
      "",
    ],
    ["TLS / plain connect", `${result.tls_vs_plain_connect_p50}`, "", "≤ 3"],
    [
      `ping over mutual TLS (n=${TLS_PING_ROUNDS})`,
      `${result.tls_ping_p50_us} µs`,
      `${round1(percentile(tlsPingTimes.tls, 99))} µs`,
      "",
    ],
    [
      `ping over plain TCP, same rounds (n=${TLS_PING_ROUNDS})`,
      `${result.plain_stack_ping_p50_us} µs`,
      `${round1(percentile(tlsPingTimes.plain, 99))} µs`,
      "",
    ],
    ["TLS / plain ping", `${result.tls_ping_vs_plain_p50}`, "", "≤ 1.2"],
    [
      `logs, ${LOG_BYTES / 2 ** 20} MiB via agent (best of ${LOGS_ROUNDS})`,
      orSkipped(result.logs_mb_s, " MiB/s"),
      "",
      "",
    ],
    [
      `logs, same log straight from podman (best of ${LOGS_ROUNDS})`,
      orSkipped(result.podman_logs_mb_s, " MiB/s"),
      "",
      "",
    ],
    ["logs agent / podman", orSkipped(result.logs_vs_podman), "", "≥ 0.5"],
    [
      `exec true via agent (n=${EXEC_ROUNDS})`,
      orSkipped(result.exec_p50_ms, " ms"),
      p99Ms(logsExecSamples?.agentExecMs),
      "",
    ],
    [
      `exec true straight through podman (n=${EXEC_ROUNDS})`,
      orSkipped(result.podman_exec_p50_ms, " ms"),
      p99Ms(logsExecSamples?.podmanExecMs),
      "",
    ],
    [
      "exec agent / podman",
      orSkipped(result.exec_vs_podman_p50),
      "",
      "p50 ≤ 1.3",
    ],
    [
      `podman backend bring-up, 1 device, warm images (n=${PODMAN_STACK_ROUNDS})`,
      orSkipped(result.bringup_podman_ms_p50, " ms"),
      "",
      "≤ 5000 ms",
    ],
    [
      `podman backend teardown (n=${PODMAN_STACK_ROUNDS})`,
      orSkipped(result.teardown_podman_ms_p50, " ms"),
      "",
      "≤ 3000 ms",
    ],
    [
      "agent image (local, FROM scratch)",
      orSkipped(result.agent_image_mb, " MB"),
      "",
      "",
    ],
    ...calloutRows(callout),
    ...fanout.rows,
    ...failoverRows(failoverSamples, failover),
  ];
  const widths = rows[0].map((_, column) =>
    Math.max(...rows.map((row) => row[column].length))
  );
  for (const row of rows) {
    console.log(
      row.map((cell, column) => cell.padEnd(widths[column])).join("  ")
        .trimEnd(),
    );
  }
  console.log(JSON.stringify(result));
}

if (import.meta.main) await main();
