import assert from "node:assert/strict";
import { logsExecFigures } from "./_logs_exec_figures.ts";

Deno.test("logsExecFigures() gives MiB/s of the fastest read, p50 ms of exec and the ratios", () => {
  const figures = logsExecFigures({
    logBytes: 50 * 2 ** 20,
    agentLogsMs: [1000, 2000],
    podmanLogsMs: [250, 300],
    agentExecMs: [30, 10, 20],
    podmanExecMs: [8, 16, 12],
  });
  assert.deepEqual(figures, {
    logs_mb_s: 50,
    podman_logs_mb_s: 200,
    logs_vs_podman: 0.25,
    exec_p50_ms: 20,
    podman_exec_p50_ms: 12,
    exec_vs_podman_p50: 1.667,
  });
});

Deno.test("logsExecFigures() is all null without samples (podman missing)", () => {
  assert.deepEqual(logsExecFigures(undefined), {
    logs_mb_s: null,
    podman_logs_mb_s: null,
    logs_vs_podman: null,
    exec_p50_ms: null,
    podman_exec_p50_ms: null,
    exec_vs_podman_p50: null,
  });
});
