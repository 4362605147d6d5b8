// What the auth callout costs, for `deno task bench`: connect() with an OIDC
// token through the callout against connect() with a user and password to a
// server of static users, interleaved in the same run; and the bring-up of
// a 1-device local stack with `auth: "callout"`.
import { connect, type ConnectionOptions } from "../nats/mod.ts";
import { Stack } from "../e2e/mod.ts";
import {
  CalloutProcess,
  generateCalloutKeys,
  MockOidcIssuer,
  NatsServerProcess,
  tempDir,
  TEST_ADMIN,
} from "../testing/mod.ts";
import { median, percentile } from "./stats.ts";

/** Connects measured through each kind of login. */
export const CALLOUT_CONNECT_ROUNDS = 40;
const CALLOUT_CONNECT_WARMUP = 5;
/** Callout stacks brought up and torn down. */
export const CALLOUT_STACK_ROUNDS = 7;

/** Milliseconds of each connect (to the first PONG: login done) and bring-up. */
export interface CalloutSamples {
  /** connect() with a device token, through the callout. */
  calloutConnectMs: number[];
  /** connect() with a user and password, static users, same rounds. */
  userpassConnectMs: number[];
  /** `Stack.bringUp({ devices: 1, auth: "callout" })` to its first ping. */
  bringUpMs: number[];
  /** Its teardown. */
  teardownMs: number[];
}

/**
 * Connect times through the callout and with a password, alternating which
 * goes first; every callout connect uses a token of its own, minted before
 * the clock starts (the callout verifies each one; nothing is cached by
 * token).
 */
async function measureConnects(): Promise<
  Pick<CalloutSamples, "calloutConnectMs" | "userpassConnectMs">
> {
  await using dir = await tempDir("fleet-bench-callout-");
  const keys = generateCalloutKeys();
  await using issuer = await MockOidcIssuer.start();
  await using calloutServer = await NatsServerProcess.start({
    config: { callout: { keys } },
  });
  await using _callout = await CalloutProcess.start({
    dir: dir.path,
    servers: calloutServer.url,
    keys,
    issuer,
  });
  await using userpassServer = await NatsServerProcess.start({
    config: { admin: TEST_ADMIN },
  });
  const once = async (options: ConnectionOptions) => {
    const started = performance.now();
    const nc = await connect({ ...options, reconnect: false });
    const ms = performance.now() - started;
    await nc.close();
    return ms;
  };
  const userpass = () =>
    once({
      servers: userpassServer.url,
      user: TEST_ADMIN.user,
      pass: TEST_ADMIN.password,
    });
  const calloutConnectMs: number[] = [];
  const userpassConnectMs: number[] = [];
  for (
    let round = -CALLOUT_CONNECT_WARMUP;
    round < CALLOUT_CONNECT_ROUNDS;
    round++
  ) {
    // Minted outside the measured span.
    const token = await issuer.mint({
      subject: `device-bench-${round + CALLOUT_CONNECT_WARMUP}`,
    });
    const measureCallout = () => once({ servers: calloutServer.url, token });
    const [first, second] = round % 2 === 0
      ? [measureCallout, userpass]
      : [userpass, measureCallout];
    const a = await first();
    const b = await second();
    if (round < 0) continue;
    const [c, u] = round % 2 === 0 ? [a, b] : [b, a];
    calloutConnectMs.push(c);
    userpassConnectMs.push(u);
  }
  return { calloutConnectMs, userpassConnectMs };
}

/** Bring-up and teardown of a 1-device local stack with the auth callout. */
async function measureBringUp(): Promise<
  Pick<CalloutSamples, "bringUpMs" | "teardownMs">
> {
  const bringUpMs: number[] = [];
  const teardownMs: number[] = [];
  for (let round = 0; round < CALLOUT_STACK_ROUNDS; round++) {
    const started = performance.now();
    const stack = await Stack.bringUp({ devices: 1, auth: "callout" });
    bringUpMs.push(performance.now() - started);
    const down = performance.now();
    await stack[Symbol.asyncDispose]();
    teardownMs.push(performance.now() - down);
  }
  return { bringUpMs, teardownMs };
}

/** Every sample of the callout's bench. */
export async function measureCallout(): Promise<CalloutSamples> {
  return { ...await measureConnects(), ...await measureBringUp() };
}

const round1 = (value: number) => Math.round(value * 10) / 10;
const round3 = (value: number) => Math.round(value * 1000) / 1000;

/** The figures of the final JSON line. */
export function calloutFigures(samples: CalloutSamples): {
  callout_connect_ms_p50: number;
  userpass_connect_ms_p50: number;
  callout_vs_userpass_connect_p50: number;
  callout_connect_ms_p99: number;
  bringup_callout_ms_p50: number;
  teardown_callout_ms_p50: number;
} {
  return {
    callout_connect_ms_p50: round3(median(samples.calloutConnectMs)),
    userpass_connect_ms_p50: round3(median(samples.userpassConnectMs)),
    callout_vs_userpass_connect_p50: round3(
      median(samples.calloutConnectMs) / median(samples.userpassConnectMs),
    ),
    callout_connect_ms_p99: round3(percentile(samples.calloutConnectMs, 99)),
    bringup_callout_ms_p50: round1(median(samples.bringUpMs)),
    teardown_callout_ms_p50: round1(median(samples.teardownMs)),
  };
}

/** The rows of the bench's table. */
export function calloutRows(
  samples: CalloutSamples,
): Array<[string, string, string, string]> {
  const f = calloutFigures(samples);
  return [
    [
      `connect(), token via auth callout (n=${CALLOUT_CONNECT_ROUNDS})`,
      `${f.callout_connect_ms_p50} ms`,
      `${f.callout_connect_ms_p99} ms`,
      "",
    ],
    [
      `connect(), user/password, same rounds (n=${CALLOUT_CONNECT_ROUNDS})`,
      `${f.userpass_connect_ms_p50} ms`,
      `${round3(percentile(samples.userpassConnectMs, 99))} ms`,
      "",
    ],
    [
      "callout / user-password connect",
      `${f.callout_vs_userpass_connect_p50}`,
      "",
      "≤ 3",
    ],
    [
      `bring-up, auth callout, 1 device (n=${CALLOUT_STACK_ROUNDS})`,
      `${f.bringup_callout_ms_p50} ms`,
      `${round1(percentile(samples.bringUpMs, 99))} ms`,
      "≤ 1500 ms",
    ],
    [
      `teardown, auth callout (n=${CALLOUT_STACK_ROUNDS})`,
      `${f.teardown_callout_ms_p50} ms`,
      `${round1(percentile(samples.teardownMs, 99))} ms`,
      "",
    ],
  ];
}

/** Runs the callout's bench alone: its table rows and JSON line. */
if (import.meta.main) {
  const samples = await measureCallout();
  for (const row of calloutRows(samples)) console.log(row.join("  "));
  console.log(JSON.stringify(calloutFigures(samples)));
}
