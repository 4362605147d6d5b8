// `fleet logs` against a real nats-server and an in-process CommandServer
// with a stand-in logs handler: in-process runs, and real `fleet` processes
// for Ctrl-C.
import assert from "node:assert/strict";
import { ExitCode } from "./exit_codes.ts";
import { runCli } from "./program.ts";
import { adminArgs, CliChild, runInProcess } from "./_test_cli.ts";
import { DEVICE, withStreamAgent } from "../_test_stream_agent.ts";
import { waitFor } from "../../testing/mod.ts";

Deno.test("runCli() logs writes the remote stdout to stdout and stderr to stderr and exits 0 at eof", async () => {
  await withStreamAgent(async ({ url }) => {
    const run = await runInProcess([...adminArgs(url), "logs", DEVICE, "web"]);
    assert.equal(run.code, ExitCode.Ok, run.stderr);
    assert.equal(run.stdout, "line 1\nline 2\nline 3\nline 4\nline 5\n");
    assert.equal(run.stderr, "warn\n");
  });
});

Deno.test("runCli() logs is binary-safe: the bytes come out as they are", async () => {
  await withStreamAgent(async ({ url }) => {
    const run = await runInProcess([
      ...adminArgs(url),
      "logs",
      DEVICE,
      "binary",
    ]);
    assert.equal(run.code, ExitCode.Ok, run.stderr);
    assert.deepEqual(
      [...run.stdoutBytes],
      Array.from({ length: 256 }, (_, i) => i),
    );
  });
});

Deno.test("runCli() logs sends --tail, --since, --until, --timestamps, --limit-bytes, --stdout-only as the request's fields", async () => {
  await withStreamAgent(async ({ url }) => {
    const before = Date.now();
    const run = await runInProcess([
      ...adminArgs(url),
      "logs",
      DEVICE,
      "request",
      "--tail",
      "7",
      "--since",
      "10m",
      "--until",
      "2099-01-01T00:00:00Z",
      "--timestamps",
      "--limit-bytes",
      "65536",
      "--stdout-only",
    ]);
    assert.equal(run.code, ExitCode.Ok, run.stderr);
    const request = JSON.parse(run.stdout);
    const since = Date.parse(request.since);
    assert.ok(
      since >= before - 600_000 - 1000 && since <= Date.now() - 600_000,
      request.since,
    );
    delete request.since;
    assert.deepEqual(request, {
      verb: "logs",
      container: "request",
      tail: 7,
      until: "2099-01-01T00:00:00Z",
      timestamps: true,
      stderr: false,
      limit_bytes: 65536,
    });
    const errOnly = await runInProcess([
      ...adminArgs(url),
      "logs",
      DEVICE,
      "web",
      "--stderr-only",
    ]);
    assert.equal(errOnly.code, ExitCode.Ok, errOnly.stderr);
    assert.equal(errOnly.stdout, "");
    assert.equal(errOnly.stderr, "warn\n");
  });
});

Deno.test("runCli() logs exits 0 at --limit-bytes, the output cut exactly there", async () => {
  await withStreamAgent(async ({ url }) => {
    const run = await runInProcess([
      ...adminArgs(url),
      "logs",
      DEVICE,
      "ticker",
      "-f",
      "--limit-bytes",
      "10",
    ]);
    assert.equal(run.code, ExitCode.Ok, run.stderr);
    assert.equal(run.stdout, "tick 1\ntic");
    assert.equal(run.stderr, "");
  });
});

Deno.test("runCli() logs -f stops at an interrupt with exit 130, having sent cancel: the agent's handler stops", async () => {
  await withStreamAgent(async ({ url, calls }) => {
    const controller = new AbortController();
    const running = runInProcess(
      [...adminArgs(url), "logs", DEVICE, "ticker", "-f"],
      {},
      { interrupt: controller.signal },
    );
    await waitFor("the stream", () => calls.length === 1);
    controller.abort("SIGINT");
    const run = await running;
    assert.equal(run.code, ExitCode.Interrupted, run.stderr);
    assert.ok(calls[0].signal.aborted);
    assert.equal(run.stderr, "", "Ctrl-C is no error: nothing more is said");
  });
});

Deno.test("runCli() logs exits 125 with the agent's error, 125 for an offline device and 124 at the deadline", async () => {
  await withStreamAgent(async ({ url }) => {
    const missing = await runInProcess([
      ...adminArgs(url),
      "logs",
      DEVICE,
      "nope",
    ]);
    assert.equal(missing.code, ExitCode.Failed);
    assert.equal(missing.stdout, "");
    assert.equal(
      missing.stderr,
      'error: Cannot logs device "dev-1": the agent answered not_found (404): No container "nope"\n',
    );
    const offline = await runInProcess([
      ...adminArgs(url),
      "logs",
      "ghost",
      "web",
    ]);
    assert.equal(offline.code, ExitCode.Failed);
    assert.match(
      offline.stderr,
      /^error: Cannot logs device "ghost": no responders/,
    );
    const slow = await runInProcess([
      ...adminArgs(url),
      "--timeout",
      "300ms",
      "logs",
      DEVICE,
      "ticker",
    ]);
    assert.equal(slow.code, ExitCode.TimedOut, slow.stderr);
    assert.match(slow.stdout, /^tick 1\n/);
    assert.match(slow.stderr, /the agent ended the stream "deadline"/);
  });
});

Deno.test("runCli() logs --json is a usage error (the log goes out as it is), reported as a JSON error object", async () => {
  await withStreamAgent(async ({ url, calls }) => {
    const run = await runInProcess([
      ...adminArgs(url),
      "--json",
      "logs",
      DEVICE,
      "web",
    ]);
    assert.equal(run.code, ExitCode.Failed);
    const { error } = JSON.parse(run.stdout);
    assert.equal(error.type, "usage");
    assert.equal(error.exit_code, ExitCode.Failed);
    assert.match(
      error.message,
      /^--json: fleet logs writes the log to stdout as it is/,
    );
    assert.equal(calls.length, 0);
  });
});

Deno.test("fleet logs -f process: a real Ctrl-C (SIGINT to its process group) exits 130 and the stream ends on the agent", async () => {
  await withStreamAgent(async ({ url, calls, server }) => {
    await using child = new CliChild([
      ...adminArgs(url),
      "logs",
      DEVICE,
      "ticker",
      "-f",
    ]);
    await waitFor("the first lines", () => child.stdout.includes("tick 2\n"), {
      timeoutMs: 30_000,
    });
    child.signalGroup("SIGINT");
    assert.equal(await child.exited(), ExitCode.Interrupted, child.stderr);
    await waitFor("the handler stopped", () => calls[0].signal.aborted);
    await waitFor("no stream open", () => server.openStreams === 0);
    assert.equal(child.stderr, "");
  });
});

Deno.test("runCli() logs -f whose stdout reader goes away (a broken pipe) exits 141, having sent cancel", async () => {
  await withStreamAgent(async ({ url, calls }) => {
    let writes = 0;
    const code = await runCli([
      ...adminArgs(url),
      "logs",
      DEVICE,
      "ticker",
      "-f",
    ], {
      env: {},
      interrupt: new AbortController().signal,
      stderr: { write: () => {} },
      stdout: {
        write: () => {},
        writeBytes: () => void writes++,
        get closed() {
          return writes >= 2;
        },
      },
    });
    assert.equal(code, ExitCode.BrokenPipe);
    assert.equal(writes, 2);
    await waitFor("the handler stopped", () => calls[0].signal.aborted);
  });
});
