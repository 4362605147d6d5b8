// FleetCommandsClient.exec() and execStream() against a real nats-server and
// an in-process CommandServer with a stand-in exec handler.
import assert from "node:assert/strict";
import {
  InvalidDeviceIdError,
  MAX_EXEC_STDIN_BYTES,
  type StreamChunk,
} from "../contracts/mod.ts";
import { FleetCommandsClient } from "./client.ts";
import type { ExecOptions } from "./exec.ts";
import {
  CommandError,
  DeviceOfflineError,
  RemoteCommandError,
  StreamEndedEarlyError,
  StreamInterruptedError,
} from "./errors.ts";
import { DEVICE, withStreamAgent } from "./_test_stream_agent.ts";
import { waitFor } from "../testing/mod.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

Deno.test("FleetCommandsClient.exec() collects stdout and stderr and resolves with the exit code", async () => {
  await withStreamAgent(async ({ operatorNc }) => {
    const client = new FleetCommandsClient(operatorNc);
    const result = await client.exec(DEVICE, {
      container: "web",
      cmd: ["both"],
    });
    assert.deepEqual(result, {
      exitCode: 0,
      stdout: encoder.encode("out\nout2\n"),
      stderr: encoder.encode("err\n"),
      truncated: false,
    });
  });
});

Deno.test("FleetCommandsClient.exec() resolves with the remote exit code as it is: 0, 1, 3, 126, 127, 137, 255", async () => {
  await withStreamAgent(async ({ operatorNc }) => {
    const client = new FleetCommandsClient(operatorNc);
    for (const code of [0, 1, 3, 126, 127, 137, 255]) {
      const result = await client.exec(DEVICE, {
        host: true,
        cmd: ["exit", String(code)],
      });
      assert.equal(result.exitCode, code);
      assert.equal(result.truncated, false);
      assert.equal(result.stdout.length, 0);
    }
  });
});

Deno.test("FleetCommandsClient.exec() sends stdin (binary), env, workdir, container or host", async () => {
  await withStreamAgent(async ({ operatorNc, calls }) => {
    const client = new FleetCommandsClient(operatorNc);
    const stdin = new Uint8Array([0, 1, 0xfe, 0xff, 10, 65]);
    const cat = await client.exec(DEVICE, {
      container: "web",
      cmd: ["cat"],
      stdin,
    });
    assert.deepEqual(cat.stdout, stdin);
    assert.equal(calls[0].request.verb, "exec");
    const show = await client.exec(DEVICE, {
      host: true,
      cmd: ["show", "a b", ""],
      env: { A: "1", B: "x=y" },
      workdir: "/tmp",
    });
    assert.deepEqual(JSON.parse(decoder.decode(show.stdout)), {
      host: true,
      cmd: ["show", "a b", ""],
      env: { A: "1", B: "x=y" },
      workdir: "/tmp",
    });
    const inContainer = await client.exec(DEVICE, {
      container: "web",
      cmd: ["show"],
      limitBytes: 1000,
    });
    assert.deepEqual(JSON.parse(decoder.decode(inContainer.stdout)), {
      container: "web",
      cmd: ["show"],
    });
    assert.equal(
      (calls[2].request as { limit_bytes?: number }).limit_bytes,
      1000,
    );
  });
});

Deno.test("FleetCommandsClient.exec() at limitBytes resolves truncated, without an exit code, and the command is stopped", async () => {
  await withStreamAgent(async ({ operatorNc, calls }) => {
    const client = new FleetCommandsClient(operatorNc);
    const result = await client.exec(DEVICE, {
      container: "web",
      cmd: ["yes"],
      limitBytes: 4001,
    });
    assert.equal(result.truncated, true);
    assert.equal(result.exitCode, undefined);
    assert.equal(result.stdout.length, 4001);
    assert.equal(decoder.decode(result.stdout.subarray(0, 4)), "y\ny\n");
    await waitFor("the command stopped", () => calls[0].signal.aborted);
  });
});

Deno.test("FleetCommandsClient.exec() past its deadline rejects with StreamEndedEarlyError (deadline) carrying the output so far, never an exit code", async () => {
  await withStreamAgent(async ({ operatorNc, calls }) => {
    const client = new FleetCommandsClient(operatorNc);
    const error = await client.exec(DEVICE, {
      container: "web",
      cmd: ["sleep"],
      timeoutMs: 300,
    }).catch((e) => e);
    assert.ok(error instanceof StreamEndedEarlyError, String(error));
    assert.equal(error.reason, "deadline");
    assert.equal(error.verb, "exec");
    assert.equal(error.timeoutMs, 300);
    assert.equal(decoder.decode(error.output?.stdout), "started\n");
    assert.equal(error.output?.stderr.length, 0);
    assert.ok(calls[0].signal.aborted);
  });
});

Deno.test("FleetCommandsClient.exec() aborted by its signal sends cancel, rejects with the reason, and the command is stopped", async () => {
  await withStreamAgent(async ({ operatorNc, calls }) => {
    const client = new FleetCommandsClient(operatorNc);
    const controller = new AbortController();
    const pending = client.exec(DEVICE, {
      container: "web",
      cmd: ["sleep"],
      signal: controller.signal,
      timeoutMs: 60_000,
    }).catch((e) => e);
    await waitFor("the command started", () => calls.length === 1);
    const reason = new Error("stop");
    controller.abort(reason);
    assert.equal(await pending, reason);
    await waitFor("the command stopped", () => calls[0].signal.aborted);
  });
});

Deno.test("FleetCommandsClient.exec() rejects with RemoteCommandError for the agent's error reply and DeviceOfflineError without an agent", async () => {
  await withStreamAgent(async ({ operatorNc }) => {
    const client = new FleetCommandsClient(operatorNc);
    const forbidden = await client.exec(DEVICE, {
      host: true,
      cmd: ["fail", "forbidden"],
    }).catch((e) => e);
    assert.ok(forbidden instanceof RemoteCommandError, String(forbidden));
    assert.equal(forbidden.kind, "forbidden");
    assert.equal(forbidden.code, 403);
    assert.equal(forbidden.verb, "exec");
    const offline = await client.exec("ghost", { host: true, cmd: ["true"] })
      .catch((e) => e);
    assert.ok(offline instanceof DeviceOfflineError, String(offline));
  });
});

Deno.test("FleetCommandsClient.exec() rejects with TypeError or RangeError naming the option before anything is sent", async () => {
  await withStreamAgent(async ({ operatorNc, calls }) => {
    const client = new FleetCommandsClient(operatorNc);
    const bad: [Partial<ExecOptions>, typeof TypeError, RegExp][] = [
      [
        { container: undefined },
        TypeError,
        /exactly one of option "container" or "host: true"; got neither/,
      ],
      [
        { host: true },
        TypeError,
        /exactly one of option "container" or "host: true"; got both/,
      ],
      [{ container: "" }, TypeError, /"container" must not be empty/],
      [{ cmd: [] }, TypeError, /"cmd" must not be empty/],
      [
        { cmd: "ls" as unknown as string[] },
        TypeError,
        /"cmd" must be an array of strings/,
      ],
      [
        { cmd: ["ls", 1 as unknown as string] },
        TypeError,
        /"cmd\[1\]" must be a string/,
      ],
      [
        { cmd: ["x".repeat(70_000)] },
        TypeError,
        /"cmd" must total at most 65536 bytes/,
      ],
      [
        { env: { A: 1 as unknown as string } },
        TypeError,
        /"env\.A" must be a string/,
      ],
      [{ workdir: "tmp" }, TypeError, /"workdir" must be an absolute path/],
      [
        { stdin: "hi" as unknown as Uint8Array },
        TypeError,
        /option "stdin" must be a Uint8Array, got "hi"/,
      ],
      [
        { stdin: new Uint8Array(MAX_EXEC_STDIN_BYTES + 1) },
        RangeError,
        /option "stdin" must be at most 524288 bytes, got 524289/,
      ],
      [
        { limitBytes: -1 },
        RangeError,
        /option "limitBytes" must be an integer of at least 1, got -1/,
      ],
      [
        { host: "yes" as unknown as boolean, container: undefined },
        TypeError,
        /option "host" must be a boolean/,
      ],
    ];
    for (const [options, type, message] of bad) {
      const error = await client.exec(DEVICE, {
        container: "web",
        cmd: ["true"],
        ...options,
      }).catch((e) => e);
      assert.ok(error instanceof type, `${Object.keys(options)}: ${error}`);
      assert.ok(!(error instanceof CommandError));
      assert.match(error.message, message);
      assert.match(error.message, /^Cannot exec device "dev-1": /);
      assert.throws(
        () =>
          client.execStream(DEVICE, {
            container: "web",
            cmd: ["true"],
            ...options,
          }),
        type,
      );
    }
    await assert.rejects(
      client.exec("a b", { host: true, cmd: ["true"] }),
      InvalidDeviceIdError,
    );
    await operatorNc.flush();
    assert.equal(calls.length, 0);
  });
});

Deno.test("FleetCommandsClient.execStream() yields the chunks as they come and its end carries the exit code", async () => {
  await withStreamAgent(async ({ operatorNc }) => {
    const client = new FleetCommandsClient(operatorNc);
    const stream = client.execStream(DEVICE, {
      container: "web",
      cmd: ["both"],
    });
    const chunks: StreamChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.deepEqual(
      chunks.map((c) => [c.stream, decoder.decode(c.data)]),
      [["stdout", "out\n"], ["stderr", "err\n"], ["stdout", "out2\n"]],
    );
    assert.deepEqual(stream.end, { reason: "eof", exitCode: 0 });
    const three = client.execStream(DEVICE, { host: true, cmd: ["exit", "3"] });
    for await (const _ of three) assert.fail("no output expected");
    assert.deepEqual(three.end, { reason: "eof", exitCode: 3 });
  });
});

Deno.test("FleetCommandsClient.execStream(): breaking out of the loop sends cancel and the command is stopped", async () => {
  await withStreamAgent(async ({ operatorNc, calls, server }) => {
    const client = new FleetCommandsClient(operatorNc);
    const stream = client.execStream(DEVICE, {
      container: "web",
      cmd: ["yes"],
      timeoutMs: 60_000,
    });
    for await (const _ of stream) break;
    await waitFor("the command stopped", () => calls[0].signal.aborted);
    await waitFor("no stream open", () => server.openStreams === 0);
    assert.equal(stream.end, undefined);
  });
});

Deno.test("FleetCommandsClient.execStream() whose agent connection is cut mid-stream throws StreamInterruptedError (no_end)", async () => {
  await withStreamAgent(async ({ operatorNc, agentNc }) => {
    const client = new FleetCommandsClient(operatorNc);
    const stream = client.execStream(DEVICE, {
      container: "web",
      cmd: ["sleep"],
      timeoutMs: 300,
    });
    const error = await (async () => {
      for await (const _ of stream) await agentNc.close();
    })().catch((e) => e);
    assert.ok(error instanceof StreamInterruptedError, String(error));
    assert.equal(error.reason, "no_end");
    assert.equal(error.verb, "exec");
    assert.equal(stream.end, undefined);
  });
});
