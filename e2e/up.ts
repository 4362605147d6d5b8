/**
 * `deno task up`: brings up a local stack with 2 devices, pings them, prints
 * how to reach them from another terminal, and stays up until Ctrl-C
 * (SIGINT) or SIGTERM, then tears everything down.
 *
 * @module
 */
import { FleetCommandsClient } from "../operator/mod.ts";
import { Stack } from "./stack.ts";

const SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM"];

/** Resolves with the first of `signals` received. */
function nextSignal(signals: readonly Deno.Signal[]): Promise<Deno.Signal> {
  return new Promise((resolve) => {
    const listeners = signals.map((signal) => {
      const listener = () => {
        for (const [s, l] of listeners) Deno.removeSignalListener(s, l);
        resolve(signal);
      };
      Deno.addSignalListener(signal, listener);
      return [signal, listener] as const;
    });
  });
}

/**
 * Runs `deno task up`; returns the exit code.
 *
 * @example
 * ```ts ignore
 * import { up } from "./up.ts";
 * Deno.exit(await up());
 * ```
 */
export async function up(): Promise<number> {
  const stopped = nextSignal(SIGNALS);
  try {
    await serve(stopped);
  } catch (error) {
    console.error(`error: ${error instanceof Error ? error.message : error}`);
    return 1;
  }
  console.log("Torn down.");
  return 0;
}

async function serve(stopped: Promise<Deno.Signal>): Promise<void> {
  const started = performance.now();
  await using stack = await Stack.bringUp({ devices: 2 });
  const upMs = performance.now() - started;
  console.log(
    `Stack ${stack.namespace} is up (${
      upMs.toFixed(0)
    } ms): nats-server and ${stack.deviceIds.length} agents.`,
  );
  const client = new FleetCommandsClient(stack.operatorClient, {
    timeoutMs: 5000,
  });
  for (const deviceId of stack.deviceIds) {
    const sent = performance.now();
    const reply = await client.ping(deviceId);
    console.log(
      `ping ${deviceId}: ${(performance.now() - sent).toFixed(1)} ms ${
        JSON.stringify(reply)
      }`,
    );
  }
  stack.printDebugInfo();
  console.log("Up. Press Ctrl-C to tear it down.");
  const signal = await stopped;
  console.log(`\n${signal}: tearing down ${stack.namespace}…`);
}

if (import.meta.main) {
  Deno.exit(await up());
}
