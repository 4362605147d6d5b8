// `fleet exec` against a real nats-server and an in-process CommandServer
// with a stand-in exec handler: in-process runs, and real `fleet`
// processes for exit codes, stdin and Ctrl-C.
import assert from "node:assert/strict";
import { MAX_EXEC_STDIN_BYTES } from "../../contracts/mod.ts";
import { ExitCode } from "./exit_codes.ts";
import { adminArgs, CliChild, runInProcess, runProcess } from "./_test_cli.ts";
import { DEVICE, withStreamAgent } from "../_test_stream_agent.ts";
import { waitFor } from "../../testing/mod.ts";

Deno.test("fleet exec process exits with the remote exit code: -- exit 7 exits 7", async () => {
  await withStreamAgent(async ({ url }) => {
    const run = await runProcess([
      ...adminArgs(url),
      "exec",
      DEVICE,
      "web",
      "--",
      "exit",
      "7",
    ]);
    assert.equal(run.code, 7, run.stderr);
    assert.equal(run.stdout, "");
    assert.equal(run.stderr, "");
  });
});

Deno.test("runCli() exec streams stdout and stderr apart and returns the remote exit code: 0, 1, 3, 126, 127, 137, 255", async () => {
  await withStreamAgent(async ({ url }) => {
    const both = await runInProcess([
      ...adminArgs(url),
      "exec",
      DEVICE,
      "web",
      "--",
      "both",
    ]);
    assert.equal(both.code, 0, both.stderr);
    assert.equal(both.stdout, "out\nout2\n");
    assert.equal(both.stderr, "err\n");
    for (const code of [0, 1, 3, 126, 127, 137, 255]) {
      const run = await runInProcess([
        ...adminArgs(url),
        "exec",
        DEVICE,
        "--host",
        "--",
        "exit",
        String(code),
      ]);
      assert.equal(run.code, code, run.stderr);
      assert.equal(run.stderr, "");
    }
  });
});

Deno.test("runCli() exec sends --env, --workdir, the argv after -- as it is, and --host", async () => {
  await withStreamAgent(async ({ url, calls }) => {
    const run = await runInProcess([
      ...adminArgs(url),
      "exec",
      DEVICE,
      "--host",
      "-e",
      "A=1",
      "--env",
      "B=x=y",
      "-w",
      "/tmp",
      "--limit-bytes",
      "1000",
      "--",
      "show",
      "--json",
      "-e",
      "",
    ]);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(JSON.parse(run.stdout), {
      host: true,
      cmd: ["show", "--json", "-e", ""],
      env: { A: "1", B: "x=y" },
      workdir: "/tmp",
    });
    assert.equal(
      (calls[0].request as { limit_bytes?: number }).limit_bytes,
      1000,
    );
  });
});

Deno.test("fleet exec -i process sends its stdin: a binary round trip through cat", async () => {
  await withStreamAgent(async ({ url }) => {
    const stdin = new Uint8Array(70_000);
    for (let i = 0; i < stdin.length; i++) stdin[i] = (i * 7) % 256;
    const run = await runProcess(
      [...adminArgs(url), "exec", "-i", DEVICE, "web", "--", "cat"],
      {},
      { stdin },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(run.stdoutBytes, stdin);
  });
});

Deno.test("runCli() exec -i over 512 KiB of stdin is a usage error (125) before anything is sent", async () => {
  await withStreamAgent(async ({ url, calls, operatorNc }) => {
    const run = await runInProcess(
      [...adminArgs(url), "exec", "-i", DEVICE, "web", "--", "cat"],
      {},
      { stdin: new Uint8Array(MAX_EXEC_STDIN_BYTES + 1) },
    );
    assert.equal(run.code, ExitCode.Failed);
    assert.match(
      run.stderr,
      /^error: -i: stdin is more than 524288 bytes \(512 KiB\), the most exec can send\n$/,
    );
    const exact = await runInProcess(
      [...adminArgs(url), "exec", "-i", DEVICE, "web", "--", "cat"],
      {},
      { stdin: new Uint8Array(MAX_EXEC_STDIN_BYTES) },
    );
    assert.equal(exact.code, 0, exact.stderr);
    assert.equal(exact.stdoutBytes.length, MAX_EXEC_STDIN_BYTES);
    await operatorNc.flush();
    assert.equal(calls.length, 1);
  });
});

Deno.test("runCli() exec --json prints {exit_code, stdout, stderr, truncated}, UTF-8 as text, else base64, and exits with the exit code", async () => {
  await withStreamAgent(async ({ url }) => {
    const text = await runInProcess([
      ...adminArgs(url),
      "exec",
      "--json",
      DEVICE,
      "web",
      "--",
      "both",
    ]);
    assert.equal(text.code, 0, text.stderr);
    assert.equal(text.stderr, "");
    assert.deepEqual(JSON.parse(text.stdout), {
      exit_code: 0,
      stdout: "out\nout2\n",
      stdout_encoding: "utf-8",
      stderr: "err\n",
      stderr_encoding: "utf-8",
      truncated: false,
    });
    assert.ok(text.stdout.endsWith("}\n"));
    const binary = await runInProcess([
      ...adminArgs(url),
      "exec",
      DEVICE,
      "web",
      "--json",
      "--",
      "bytes",
      "256",
    ]);
    assert.equal(binary.code, 0, binary.stderr);
    const json = JSON.parse(binary.stdout);
    assert.equal(json.stdout_encoding, "base64");
    assert.deepEqual(
      [...Uint8Array.from(atob(json.stdout), (c) => c.charCodeAt(0))],
      Array.from({ length: 256 }, (_, i) => i),
    );
    assert.equal(json.stderr, "");
    assert.equal(json.stderr_encoding, "utf-8");
    const three = await runInProcess([
      ...adminArgs(url),
      "--json",
      "exec",
      DEVICE,
      "--host",
      "--",
      "exit",
      "3",
    ]);
    assert.equal(three.code, 3);
    assert.equal(JSON.parse(three.stdout).exit_code, 3);
  });
});

Deno.test("runCli() exec cut at --limit-bytes exits 125 (no exit code), says so, and --json says truncated with exit_code null", async () => {
  await withStreamAgent(async ({ url, calls }) => {
    const run = await runInProcess([
      ...adminArgs(url),
      "exec",
      DEVICE,
      "web",
      "--limit-bytes",
      "5",
      "--",
      "yes",
    ]);
    assert.equal(run.code, ExitCode.Failed);
    assert.equal(run.stdout, "y\ny\ny");
    assert.match(
      run.stderr,
      /^error: Cannot exec device "dev-1": the output reached --limit-bytes \(5 bytes\); the agent stopped the command, so it has no exit code\n$/,
    );
    assert.ok(calls[0].signal.aborted);
    const json = await runInProcess([
      ...adminArgs(url),
      "exec",
      "--json",
      DEVICE,
      "web",
      "--limit-bytes",
      "5",
      "--",
      "yes",
    ]);
    assert.equal(json.code, ExitCode.Failed);
    assert.deepEqual(JSON.parse(json.stdout), {
      exit_code: null,
      stdout: "y\ny\ny",
      stdout_encoding: "utf-8",
      stderr: "",
      stderr_encoding: "utf-8",
      truncated: true,
    });
  });
});

Deno.test("runCli() exec stopped at its deadline exits 124, never 0, and --json gives an error object with the output so far", async () => {
  await withStreamAgent(async ({ url }) => {
    const run = await runInProcess([
      ...adminArgs(url),
      "--timeout",
      "300ms",
      "exec",
      DEVICE,
      "web",
      "--",
      "sleep",
    ]);
    assert.equal(run.code, ExitCode.TimedOut);
    assert.equal(run.stdout, "started\n");
    assert.match(
      run.stderr,
      /^error: Cannot exec device "dev-1": the agent ended the stream "deadline" before it was done: its deadline passed \(timeout 300 ms\)/,
    );
    const json = await runInProcess([
      ...adminArgs(url),
      "--timeout",
      "300ms",
      "--json",
      "exec",
      DEVICE,
      "web",
      "--",
      "sleep",
    ]);
    assert.equal(json.code, ExitCode.TimedOut);
    const { error } = JSON.parse(json.stdout);
    assert.equal(error.type, "ended_early");
    assert.equal(error.reason, "deadline");
    assert.equal(error.exit_code, ExitCode.TimedOut);
    assert.equal(error.stdout, "started\n");
    assert.equal(error.stdout_encoding, "utf-8");
    assert.equal("exit_code" in JSON.parse(json.stdout), false);
  });
});

Deno.test("runCli() exec exits 125 for the agent's error reply and for an offline device, with --json error objects", async () => {
  await withStreamAgent(async ({ url }) => {
    const forbidden = await runInProcess([
      ...adminArgs(url),
      "exec",
      DEVICE,
      "--host",
      "--",
      "fail",
      "forbidden",
    ]);
    assert.equal(forbidden.code, ExitCode.Failed);
    assert.equal(
      forbidden.stderr,
      'error: Cannot exec device "dev-1": the agent answered forbidden (403): told to fail: forbidden\n',
    );
    const offline = await runInProcess([
      ...adminArgs(url),
      "--json",
      "exec",
      "ghost",
      "web",
      "--",
      "true",
    ]);
    assert.equal(offline.code, ExitCode.Failed);
    const { error } = JSON.parse(offline.stdout);
    assert.equal(error.type, "offline");
    assert.equal(error.exit_code, ExitCode.Failed);
    assert.equal(error.device_id, "ghost");
    assert.match(error.request_id, /^[0-9a-f-]{36}$/);
  });
});

Deno.test("fleet exec process: a real Ctrl-C (SIGINT to its process group) exits 130 and the command is stopped on the agent", async () => {
  await withStreamAgent(async ({ url, calls, server }) => {
    await using child = new CliChild([
      ...adminArgs(url),
      "--timeout",
      "1m",
      "exec",
      DEVICE,
      "web",
      "--",
      "sleep",
    ]);
    await waitFor("the command started", () => child.stdout === "started\n", {
      timeoutMs: 30_000,
    });
    child.signalGroup("SIGINT");
    assert.equal(await child.exited(), ExitCode.Interrupted, child.stderr);
    await waitFor("the command stopped", () => calls[0].signal.aborted);
    await waitFor("no stream open", () => server.openStreams === 0);
  });
});

Deno.test("runCli() exec stopped by SIGTERM exits 143, having sent cancel, with a JSON error object for --json", async () => {
  await withStreamAgent(async ({ url, calls }) => {
    const controller = new AbortController();
    const running = runInProcess(
      [...adminArgs(url), "--json", "exec", DEVICE, "web", "--", "sleep"],
      {},
      { interrupt: controller.signal },
    );
    await waitFor("the command", () => calls.length === 1);
    controller.abort("SIGTERM");
    const run = await running;
    assert.equal(run.code, ExitCode.Terminated, run.stderr);
    assert.equal(JSON.parse(run.stdout).error.signal, "SIGTERM");
    await waitFor("the command stopped", () => calls[0].signal.aborted);
  });
});
