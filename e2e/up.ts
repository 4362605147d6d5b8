/**
 * `deno task up`: brings up a local stack with 2 devices, pings them, starts
 * a workload container (`web-00`, `web-01`) beside each when podman, runc
 * and busybox-static are there (not with `--no-podman`), prints how to reach
 * them from another terminal, and stays up until Ctrl-C
 * (SIGINT) or SIGTERM, then tears everything down. While it runs, other
 * terminals reach the stack through `fleet-up.env` (written where `deno task
 * up` was started: `source fleet-up.env` sets `NATS_URL`, `NATS_USER`,
 * `NATS_PASSWORD`, `FLEET_DEVICES`, `FLEET_DEVICE` and, with podman,
 * `FLEET_CONTAINER`) and the `nats` CLI
 * context `fleet-up`; both are removed at teardown.
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
import { exists, podmanAvailable } from "../testing/mod.ts";
import { Stack } from "./stack.ts";
import { shellQuote } from "./_debug_info.ts";
import { UP_NAME, writeUpFiles } from "./_up_files.ts";
import {
  parseUpArgs,
  type UpRuntime,
  UpUsageError,
  upWorkload,
  upWorkloadRuntime,
} from "./_up_workload.ts";

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
 * Runs `deno task up` with `args` (none, or `--no-podman`); returns the
 * exit code: 0 once torn down (or kept) after a signal, 130/143 when a
 * signal stopped the bring-up, 1 when the bring-up failed, 2 for an unknown
 * argument. Its signal listeners stay until the process exits, so a
 * late Ctrl-C cannot cut the exit short.
 *
 * @example
 * ```ts ignore
 * import { up } from "./up.ts";
 * Deno.exit(await up(Deno.args));
 * ```
 */
export async function up(args: readonly string[] = []): Promise<number> {
  let runtime: UpRuntime;
  try {
    runtime = upWorkloadRuntime(parseUpArgs(args), {
      podman: podmanAvailable(),
      busybox: exists("/bin/busybox"),
    });
  } catch (error) {
    if (!(error instanceof UpUsageError)) throw error;
    console.error(`error: ${error.message}`);
    return 2;
  }
  if (runtime.note) console.error(runtime.note);
  let repeated = false;
  const signals = listenForSignals(SIGNALS, (signal) => {
    if (repeated) return;
    repeated = true;
    console.log(`${signal} again: still stopping, it ends by itself…`);
  });
  let kept: boolean;
  try {
    kept = await serve(signals, runtime.runtime);
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
  runtime: UpRuntime["runtime"],
): Promise<boolean> {
  const started = performance.now();
  await using stack = await Stack.bringUp({
    devices: 2,
    runtime,
    // Labels to target with `fleet ping -l …` (see the README).
    deviceLabels: (index) => ({
      site: "lab",
      role: index === 0 ? "edge" : "gateway",
    }),
    signal: signals.aborted,
  });
  const upMs = performance.now() - started;
  console.log(
    `Stack ${stack.namespace} is up (${upMs.toFixed(0)} ms): nats-server, ${
      runtime === "podman" ? "a podman service, " : ""
    }${stack.deviceIds.length} agents.`,
  );
  const workloads = [];
  for (const [index, deviceId] of stack.deviceIds.entries()) {
    if (runtime !== "podman" || signals.aborted.aborted) break;
    const workload = upWorkload(deviceId, index);
    await stack.startContainer(deviceId, workload);
    workloads.push(`${workload.name} on ${deviceId}`);
  }
  if (workloads.length > 0) console.log(`Started ${workloads.join(", ")}.`);
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
  // Where `deno task up` was started (deno task sets INIT_CWD).
  const here = Deno.env.get("INIT_CWD") ?? Deno.cwd();
  await using files = new AsyncDisposableStack();
  const written = await writeUpFiles({
    namespace: stack.namespace,
    natsUrl: stack.natsUrl,
    admin: stack.adminCredentials,
    deviceIds: stack.deviceIds,
    container: workloads.length > 0 ? upWorkload("", 0).name : undefined,
  }, { dir: here, env: Deno.env.toObject() });
  if (!stack.keep) files.use(written);
  if (!signals.aborted.aborted) {
    stack.printDebugInfo();
    const root = decodeURIComponent(new URL("..", import.meta.url).pathname);
    const cli = `deno run -A ${
      here.replace(/\/?$/, "/") === root
        ? "mod.ts"
        : shellQuote(`${root}mod.ts`)
    }`;
    console.log(
      [
        `Up. In another terminal, in ${here}:`,
        `  source ${UP_NAME}.env`,
        `  ${cli} ping $FLEET_DEVICES`,
        `  ${cli} ping --context ${UP_NAME} $FLEET_DEVICES`,
        ...(workloads.length === 0 ? [] : [
          `  ${cli} logs $FLEET_DEVICE $FLEET_CONTAINER --tail 5`,
          `  ${cli} logs -f $FLEET_DEVICE $FLEET_CONTAINER`,
          `  ${cli} exec $FLEET_DEVICE $FLEET_CONTAINER -- sh -c 'echo "$DEVICE"; exit 3'`,
        ]),
        `(${UP_NAME}.env and the nats CLI context "${UP_NAME}"${
          written.contextPath ? ` at ${written.contextPath}` : ""
        } are ${stack.keep ? "kept with the stack" : "removed at teardown"}.)`,
        "Press Ctrl-C to tear it down.",
      ].join("\n"),
    );
  }
  const signal = await signals.first;
  console.log(
    `\n${signal}: ${
      stack.keep ? "leaving" : "tearing down"
    } ${stack.namespace}…`,
  );
  if (stack.keep) {
    console.log(
      `Kept too: ${
        [written.envPath, written.contextPath].filter((path) => path)
          .map((path) => shellQuote(path!)).join(" ")
      } (rm them with the stack).`,
    );
  }
  return stack.keep;
}

if (import.meta.main) {
  Deno.exit(await up(Deno.args));
}
