// The fleet figures of `deno task bench`: a ping to every device of a
// simulated fleet of 1,000 and of 10,000 devices (1% offline), from the
// start of the fan-out until every outcome is known; whether the offline
// list is exactly the offline set; the simulator's memory per 1,000
// devices; one real agent's idle RSS. The simulator runs in its own
// process (one NATS connection for all its devices), the fan-out in this
// one. Run alone: `deno run -A bench/_fanout.ts` prints the rows and the
// JSON figures.
import { connect } from "../nats/mod.ts";
import {
  DEFAULT_FANOUT_CONCURRENCY,
  FleetCommandsClient,
  pingFanout,
} from "../operator/mod.ts";
import {
  AgentProcess,
  NatsServerProcess,
  tempDir,
  TEST_ADMIN,
  waitForAgentEvent,
} from "../testing/mod.ts";
import { simDeviceId } from "./fleet_sim.ts";
import { startFleetSimProcess } from "./_fleet_sim_process.ts";
import { median } from "./stats.ts";
import { residentBytes } from "./_throughput.ts";

/** Rounds of the 1,000-device fan-out (after 2 warm-up rounds). */
export const FANOUT_1K_ROUNDS = 15;
/** Rounds of the 10,000-device fan-out (after 1 warm-up round). */
export const FANOUT_10K_ROUNDS = 7;
const OFFLINE = 0.01;
/** How long each ping waits: well above a fan-out's length. */
const PING_TIMEOUT_MS = 10_000;

/** The JSON figures (keys of the bench's last line). */
export interface FanoutFigures {
  fanout_1k_ms_p50: number;
  fanout_10k_ms_p50: number;
  fanout_10k_exact: boolean;
  fanout_concurrency: number;
  sim_agent_rss_mb_per_1k: number;
  sim_10k_rss_mb: number;
  agent_rss_mb: number;
}

/** Measures the fleet figures; returns them and the table rows. */
export async function measureFanout(): Promise<
  { figures: FanoutFigures; rows: Array<[string, string, string, string]> }
> {
  await using server = await NatsServerProcess.start({
    config: { admin: TEST_ADMIN },
  });
  const connection = { url: server.url, ...TEST_ADMIN };
  const nc = await connect({
    servers: server.url,
    user: TEST_ADMIN.user,
    pass: TEST_ADMIN.password,
  });
  try {
    const client = new FleetCommandsClient(nc, { timeoutMs: PING_TIMEOUT_MS });
    let emptyRss: number;
    {
      await using empty = await startFleetSimProcess(
        { devices: 0 },
        connection,
      );
      emptyRss = residentBytes(empty.pid);
    }
    const small = await fanoutRounds(client, connection, {
      devices: 1000,
      prefix: "f1k",
      warmup: 2,
      rounds: FANOUT_1K_ROUNDS,
    });
    const large = await fanoutRounds(client, connection, {
      devices: 10_000,
      prefix: "f10k",
      warmup: 1,
      rounds: FANOUT_10K_ROUNDS,
    });
    const agentRss = await idleAgentRss(server.url);
    const figures: FanoutFigures = {
      fanout_1k_ms_p50: round1(median(small.ms)),
      fanout_10k_ms_p50: round1(median(large.ms)),
      fanout_10k_exact: large.exact,
      fanout_concurrency: DEFAULT_FANOUT_CONCURRENCY,
      sim_agent_rss_mb_per_1k: round1(
        (large.idleRss - emptyRss) / 10 / 2 ** 20,
      ),
      sim_10k_rss_mb: round1(large.idleRss / 2 ** 20),
      agent_rss_mb: round1(agentRss / 2 ** 20),
    };
    const rows: Array<[string, string, string, string]> = [
      [
        `ping 1,000 simulated devices, 1% offline, all outcomes (n=${FANOUT_1K_ROUNDS})`,
        `${figures.fanout_1k_ms_p50} ms`,
        "",
        "≤ 500 ms",
      ],
      [
        `ping 10,000 simulated devices, 1% offline (n=${FANOUT_10K_ROUNDS})`,
        `${figures.fanout_10k_ms_p50} ms`,
        "",
        "≤ 3000 ms",
      ],
      [
        "10k offline list exactly the offline set",
        String(figures.fanout_10k_exact),
        "",
        "true",
      ],
      [
        "simulator RSS per 1,000 devices (10k idle − empty)",
        `${figures.sim_agent_rss_mb_per_1k} MB`,
        "",
        "",
      ],
      ["one real agent, idle RSS", `${figures.agent_rss_mb} MB`, "", "≤ 60 MB"],
    ];
    return { figures, rows };
  } finally {
    await nc.close();
  }
}

async function fanoutRounds(
  client: FleetCommandsClient,
  connection: { url: string; user: string; password: string },
  options: { devices: number; prefix: string; warmup: number; rounds: number },
): Promise<{ ms: number[]; exact: boolean; idleRss: number }> {
  await using sim = await startFleetSimProcess({
    devices: options.devices,
    offline: OFFLINE,
    prefix: options.prefix,
  }, connection);
  const idleRss = residentBytes(sim.pid);
  const ids = Array.from(
    { length: options.devices },
    (_, i) => simDeviceId(options.prefix, i),
  );
  const offline = new Set(sim.offline);
  const expectedAnswered = ids.filter((id) => !offline.has(id));
  const ms: number[] = [];
  let exact = true;
  for (let round = 0; round < options.warmup + options.rounds; round++) {
    const started = performance.now();
    const { summary } = await pingFanout(client, ids).collect();
    const elapsed = performance.now() - started;
    const roundExact = sameList(summary.offline, sim.offline) &&
      sameList(summary.answered, expectedAnswered) &&
      summary.timedOut.length === 0 && summary.errored.length === 0;
    if (round >= options.warmup) {
      ms.push(elapsed);
      exact &&= roundExact;
    }
  }
  return { ms, exact, idleRss };
}

async function idleAgentRss(url: string): Promise<number> {
  await using dir = await tempDir();
  await using agent = await AgentProcess.start({
    deviceId: "rss-agent",
    servers: url,
    credentials: TEST_ADMIN,
    dir: dir.path,
  });
  await waitForAgentEvent(agent, "ready");
  // Idle: let start-up garbage settle, as an agent that has been up a while.
  await new Promise((resolve) => setTimeout(resolve, 2000));
  return residentBytes(agent.pid);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

const round1 = (value: number) => Math.round(value * 10) / 10;

if (import.meta.main) {
  const { figures, rows } = await measureFanout();
  for (const row of rows) console.log(row.filter(Boolean).join("  "));
  console.log(JSON.stringify(figures));
}
