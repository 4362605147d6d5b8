import assert from "node:assert/strict";
import type { StreamChunk } from "../../contracts/mod.ts";
import type { StreamResult } from "../handler.ts";
import {
  commandLine,
  processesMentioning,
  tempDir,
  waitFor,
} from "../../testing/mod.ts";
import { hostExec } from "./_host_exec.ts";

const decoder = new TextDecoder();

interface Ran {
  stdout: string;
  stderr: string;
  bytes: Uint8Array;
  exitCode?: number;
}

async function run(
  source: AsyncGenerator<StreamChunk, StreamResult, undefined>,
): Promise<Ran> {
  const out: Uint8Array[] = [];
  let stdout = "";
  let stderr = "";
  while (true) {
    const step = await source.next();
    if (step.done) {
      const bytes = new Uint8Array(out.reduce((n, b) => n + b.length, 0));
      let offset = 0;
      for (const b of out) {
        bytes.set(b, offset);
        offset += b.length;
      }
      return { stdout, stderr, bytes, exitCode: step.value.exitCode };
    }
    const { stream, data } = step.value;
    if (stream === "stdout") {
      out.push(data.slice());
      stdout += decoder.decode(data, { stream: true });
    } else stderr += decoder.decode(data);
  }
}

/** The `sleep <marker>` processes running. */
function sleeps(marker: string): number[] {
  return processesMentioning(marker).filter((pid) =>
    commandLine(pid) === `sleep ${marker}`
  );
}

/** A `sleep` whose command line no other process has. */
function uniqueSleep(): string {
  return `3600.${crypto.getRandomValues(new Uint32Array(1))[0]}`;
}

Deno.test("hostExec() runs the argv directly, no shell, and returns its exit code", async () => {
  const ran = await run(hostExec(["echo", "$HOME;", "`id`", "*"]));
  assert.equal(ran.stdout, "$HOME; `id` *\n");
  assert.equal(ran.exitCode, 0);
  for (const code of [0, 1, 3, 255]) {
    const result = await run(hostExec(["sh", "-c", `exit ${code}`]));
    assert.equal(result.exitCode, code);
  }
});

Deno.test("hostExec() keeps stdout and stderr apart and passes binary output byte for byte", async () => {
  const ran = await run(
    hostExec(["sh", "-c", "echo out; echo err >&2; printf '\\377\\000\\200'"]),
  );
  assert.deepEqual(
    ran.bytes,
    Uint8Array.of(...new TextEncoder().encode("out\n"), 0xff, 0x00, 0x80),
  );
  assert.equal(ran.stderr, "err\n");
});

Deno.test("hostExec() sends stdin and closes it, adds env to the agent's environment, and runs in workdir", async () => {
  const stdin = Uint8Array.of(
    0,
    1,
    2,
    255,
    ...new TextEncoder().encode("hi\n"),
  );
  const echoed = await run(hostExec(["cat"], { stdin }));
  assert.deepEqual(echoed.bytes, stdin);
  assert.equal(echoed.exitCode, 0);
  const big = new Uint8Array(512 * 1024).map((_, i) => i % 251);
  const counted = await run(hostExec(["wc", "-c"], { stdin: big }));
  assert.equal(counted.stdout.trim(), String(big.length));
  const env = await run(
    hostExec(["sh", "-c", 'echo "$FLEET_X|$PATH"'], {
      env: { FLEET_X: "a b=c" },
    }),
  );
  assert.equal(env.stdout, `a b=c|${Deno.env.get("PATH")}\n`);
  await using dir = await tempDir("host-exec-");
  const pwd = await run(hostExec(["pwd"], { workdir: dir.path }));
  assert.equal(pwd.stdout, `${await Deno.realPath(dir.path)}\n`);
  const empty = await run(hostExec(["cat"]));
  assert.equal(empty.stdout, "");
  assert.equal(empty.exitCode, 0);
});

Deno.test("hostExec() answers a command that cannot start as a shell would: 127 not found, 126 not executable", async () => {
  const missing = await run(hostExec(["no-such-binary-xyz", "a"]));
  assert.equal(missing.exitCode, 127);
  assert.equal(
    missing.stderr,
    "fleet-agent: no-such-binary-xyz: command not found\n",
  );
  assert.equal(missing.stdout, "");
  const absolute = await run(hostExec(["/nonexistent/bin/x"]));
  assert.equal(absolute.exitCode, 127);
  await using dir = await tempDir("host-exec-");
  const plain = `${dir.path}/plain`;
  await Deno.writeTextFile(plain, "not a program");
  const notExecutable = await run(hostExec([plain]));
  assert.equal(notExecutable.exitCode, 126);
  assert.equal(
    notExecutable.stderr,
    `fleet-agent: ${plain}: permission denied\n`,
  );
  const noDir = await run(hostExec(["pwd"], { workdir: `${dir.path}/nope` }));
  assert.equal(noDir.exitCode, 127);
  assert.equal(
    noDir.stderr,
    `fleet-agent: cannot change to directory "${dir.path}/nope": no such directory\n`,
  );
  const fileDir = await run(hostExec(["pwd"], { workdir: plain }));
  assert.equal(fileDir.exitCode, 127);
  assert.match(fileDir.stderr, /: not a directory\n$/);
});

Deno.test("hostExec() kills the whole process group when its signal aborts, and throws the reason", async () => {
  const marker = uniqueSleep();
  const controller = new AbortController();
  const reason = new Error("deadline");
  const source = hostExec(
    ["sh", "-c", `sleep ${marker} & sleep ${marker} & echo started; wait`],
    { signal: controller.signal },
  );
  try {
    const first = await source.next();
    assert.equal(
      decoder.decode(first.done ? undefined : first.value.data),
      "started\n",
    );
    await waitFor("both sleeps", () => sleeps(marker).length === 2);
    controller.abort(reason);
    await assert.rejects(source.next(), (error) => error === reason);
    await waitFor(
      "no process of the group left",
      () => processesMentioning(marker).length === 0,
    );
  } finally {
    await source.return({});
  }
});

Deno.test("hostExec() ends at once when its signal aborts, even if a process outside its group holds the output open", async () => {
  const marker = uniqueSleep();
  const controller = new AbortController();
  const source = hostExec(
    ["sh", "-c", `setsid sleep ${marker} & echo started; wait`],
    { signal: controller.signal },
  );
  try {
    await source.next();
    await waitFor("the escaped sleep", () => sleeps(marker).length === 1);
    controller.abort(new Error("cancel"));
    await assert.rejects(source.next(), /cancel/);
  } finally {
    await source.return({});
    for (const pid of sleeps(marker)) Deno.kill(pid, "SIGKILL");
  }
});

Deno.test("hostExec() kills the whole process group when the consumer stops early", async () => {
  const marker = uniqueSleep();
  const source = hostExec([
    "sh",
    "-c",
    `sleep ${marker} & echo started; sleep ${marker}`,
  ]);
  try {
    await source.next();
    await waitFor("both sleeps", () => sleeps(marker).length === 2);
  } finally {
    assert.deepEqual(await source.return({}), { done: true, value: {} });
  }
  await waitFor(
    "no process of the group left",
    () => processesMentioning(marker).length === 0,
  );
});

Deno.test("hostExec() reports 137 for a process killed by SIGKILL", async () => {
  const ran = await run(hostExec(["sh", "-c", "kill -9 $$"]));
  assert.equal(ran.exitCode, 137);
});
