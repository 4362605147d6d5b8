// Logs and exec through the agent (nats → agent → podman) against the same
// calls straight to the podman API, for `deno task bench`: one podman stack,
// one container that writes a log of a known size and then idles.
import { FleetCommandsClient } from "../operator/mod.ts";
import { PodmanClient } from "../podman/mod.ts";
import { DEVICE_LABEL_KEY, Stack } from "../e2e/mod.ts";
import { podmanAvailable, waitFor } from "../testing/mod.ts";
import { logWorkload } from "./_log_workload.ts";
import type { LogsExecSamples } from "./_logs_exec_figures.ts";

/** The size of the log read, in bytes. */
export const LOG_BYTES = 50 * 2 ** 20;
/** Whole reads of the log measured, each way. */
export const LOGS_ROUNDS = 2;
// A read is 50 MiB: its first megabytes warm up what needs warming.
const LOGS_WARMUP = 0;
/** `exec true` measured, each way. */
export const EXEC_ROUNDS = 40;
const EXEC_WARMUP = 5;
const CONTAINER = "bench-logs";

/**
 * Brings up a podman stack and measures, interleaved and alternating which
 * goes first: whole reads of a {@linkcode LOG_BYTES} log through
 * `FleetCommandsClient.logs()` and through `PodmanClient.logs()`, then
 * `exec true` through `FleetCommandsClient.exec()` and through
 * `PodmanClient.exec()` (create, start, inspect). The direct calls pass the
 * agent's `container_label`, as the agent does, so both do the same podman
 * work. Every read must return exactly {@linkcode LOG_BYTES}, every exec exit
 * 0, or it throws. Without podman, resolves with the reason instead.
 */
export async function measureLogsExec(): Promise<
  LogsExecSamples | { skipped: string }
> {
  const found = podmanAvailable();
  if (!found.ok) return { skipped: found.reason };
  await using stack = await Stack.bringUp({ devices: 1, runtime: "podman" });
  const [deviceId] = stack.deviceIds;
  const label = `${DEVICE_LABEL_KEY}=${deviceId}`;
  const { cmd, endLine } = logWorkload(LOG_BYTES);
  await stack.startContainer(deviceId, { name: CONTAINER, cmd });
  const decoder = new TextDecoder();
  await waitFor("the whole log in podman logs", async () => {
    // podman logs fails (code 125) when it meets a line conmon is still
    // writing: not done yet.
    const { code, stdout } = await stack.podman(
      ["logs", "--tail", "1", CONTAINER],
      { check: false },
    );
    return code === 0 && decoder.decode(stdout) === endLine;
  }, { timeoutMs: 120_000, intervalMs: 100 });

  const client = new FleetCommandsClient(stack.operatorClient, {
    timeoutMs: 120_000,
  });
  await using podman = new PodmanClient(stack.podmanSocketPath!);
  const viaAgent = async () => {
    const stream = client.logs(deviceId, { container: CONTAINER });
    let bytes = 0;
    for await (const { data } of stream) bytes += data.length;
    checkBytes("FleetCommandsClient.logs()", bytes);
    if (stream.end?.reason !== "eof") {
      throw new Error(
        `The bench log read through the agent ended ${
          JSON.stringify(stream.end)
        }, expected eof`,
      );
    }
  };
  const direct = async () => {
    let bytes = 0;
    for await (const { data } of podman.logs(CONTAINER, { label })) {
      bytes += data.length;
    }
    checkBytes("PodmanClient.logs()", bytes);
  };
  const logs = await interleave(viaAgent, direct, {
    warmup: LOGS_WARMUP,
    rounds: LOGS_ROUNDS,
  });

  const execViaAgent = async () => {
    const result = await client.exec(deviceId, {
      container: CONTAINER,
      cmd: ["true"],
    });
    checkExit("FleetCommandsClient.exec()", result.exitCode);
  };
  const execDirect = async () => {
    await using run = await podman.exec(CONTAINER, { cmd: ["true"], label });
    checkExit("PodmanClient.exec()", await run.exitCode());
  };
  const exec = await interleave(execViaAgent, execDirect, {
    warmup: EXEC_WARMUP,
    rounds: EXEC_ROUNDS,
  });
  return {
    logBytes: LOG_BYTES,
    agentLogsMs: logs.a,
    podmanLogsMs: logs.b,
    agentExecMs: exec.a,
    podmanExecMs: exec.b,
  };
}

/**
 * Runs `a` and `b` once per round, alternating which goes first, and
 * returns the milliseconds of each after `warmup` unmeasured rounds.
 */
async function interleave(
  a: () => Promise<void>,
  b: () => Promise<void>,
  options: { warmup: number; rounds: number },
): Promise<{ a: number[]; b: number[] }> {
  const times = { a: [] as number[], b: [] as number[] };
  for (let round = 0; round < options.warmup + options.rounds; round++) {
    const order = round % 2 === 0
      ? (["a", "b"] as const)
      : (["b", "a"] as const);
    for (const which of order) {
      const started = performance.now();
      await (which === "a" ? a : b)();
      if (round >= options.warmup) {
        times[which].push(performance.now() - started);
      }
    }
  }
  return times;
}

function checkBytes(what: string, bytes: number): void {
  if (bytes !== LOG_BYTES) {
    throw new Error(
      `The bench log read through ${what} returned ${bytes} bytes, expected ${LOG_BYTES}`,
    );
  }
}

function checkExit(what: string, exitCode: number | undefined): void {
  if (exitCode !== 0) {
    throw new Error(
      `"exec true" through ${what} exited ${exitCode}, expected 0`,
    );
  }
}
