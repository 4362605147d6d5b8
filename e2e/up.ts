/**
 * `deno task up`: brings up a local stack with 2 devices, pings them, prints
 * how to reach them from another terminal, and stays up until Ctrl-C
 * (SIGINT) or SIGTERM, then tears everything down.
 *
 * Ctrl-C in a terminal signals the whole foreground process group: this
 * process, its agents and nats-server at once, and `deno task` forwards the
 * SIGINT to this process a second time. So the first signal starts the
 * teardown, every later one is only acknowledged (teardown is bounded: each
 * process gets SIGKILL after a few seconds), and the teardown copes with
 * processes that are already exiting.
 *
 * @module
 */
import { FleetCommandsClient } from "../operator/mod.ts";
import { Stack } from "./stack.ts";

const SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM"];

/**
 * Listens for `signals` until the process exits: resolves `first` with the
 * first one received (and aborts `aborted`), and calls `onRepeat` for each
 * one after it.
 */
function listenForSignals(
  signals: readonly Deno.Signal[],
  onRepeat: (signal: Deno.Signal) => void,
): { first: Promise<Deno.Signal>; aborted: AbortSignal } {
  const controller = new AbortController();
  const first = new Promise<Deno.Signal>((resolve) => {
    for (const signal of signals) {
      Deno.addSignalListener(signal, () => {
        if (controller.signal.aborted) return onRepeat(signal);
        controller.abort(new Error(`stopped by ${signal}`));
        resolve(signal);
      });
    }
  });
  return { first, aborted: controller.signal };
}

/** The exit code of a process ended by `signal`, as a shell reports it. */
function signalExitCode(signal: Deno.Signal): number {
  return signal === "SIGINT" ? 130 : 143;
}

/**
 * Runs `deno task up`; returns the exit code: 0 once torn down (or kept)
 * after a signal, 130/143 when a signal stopped the bring-up, 1 when the
 * bring-up failed. Its signal listeners stay until the process exits, so a
 * late Ctrl-C cannot cut the exit short.
 *
 * @example
 * ```ts ignore
 * import { up } from "./up.ts";
 * Deno.exit(await up());
 * ```
 */
export async function up(): Promise<number> {
  let repeated = false;
  const signals = listenForSignals(SIGNALS, (signal) => {
    if (repeated) return;
    repeated = true;
    console.log(`${signal} again: still stopping, it ends by itself…`);
  });
  let kept: boolean;
  try {
    kept = await serve(signals);
  } catch (error) {
    if (signals.aborted.aborted) {
      const signal = await signals.first;
      console.log(`${signal}: stopped the bring-up; nothing is left running.`);
      return signalExitCode(signal);
    }
    console.error(`error: ${error instanceof Error ? error.message : error}`);
    return 1;
  }
  console.log(
    kept
      ? "Kept. It runs on: the [e2e] lines above say where and how to clean it up."
      : "Torn down.",
  );
  return 0;
}

/** Brings the stack up, waits for a signal, tears it down; whether it was kept. */
async function serve(
  signals: { first: Promise<Deno.Signal>; aborted: AbortSignal },
): Promise<boolean> {
  const started = performance.now();
  await using stack = await Stack.bringUp({
    devices: 2,
    signal: signals.aborted,
  });
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
    if (signals.aborted.aborted) break;
    const sent = performance.now();
    const reply = await client.ping(deviceId);
    console.log(
      `ping ${deviceId}: ${(performance.now() - sent).toFixed(1)} ms ${
        JSON.stringify(reply)
      }`,
    );
  }
  if (!signals.aborted.aborted) {
    stack.printDebugInfo();
    console.log("Up. Press Ctrl-C to tear it down.");
  }
  const signal = await signals.first;
  console.log(
    `\n${signal}: ${
      stack.keep ? "leaving" : "tearing down"
    } ${stack.namespace}…`,
  );
  return stack.keep;
}

if (import.meta.main) {
  Deno.exit(await up());
}
