import assert from "node:assert/strict";
import {
  exists,
  podmanAvailable,
  processAlive,
  processesMentioning,
  tempDir,
  tempEntries,
  waitFor,
} from "../testing/mod.ts";

const ROOT = new URL("..", import.meta.url).pathname;
// `deno task up` gives its agents podman when it can run here (in CI it
// must: FLEET_REQUIRE_PODMAN=1).
const PODMAN = Deno.env.get("FLEET_REQUIRE_PODMAN") === "1" ||
  (podmanAvailable().ok && exists("/bin/busybox"));

Deno.test("up() brings up 2 pinged devices (with a workload container each when podman is there), prints the CLI commands, tears down on SIGTERM", async () => {
  await using here = await tempDir("fleet-up-test-");
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      `${ROOT}deno.json`,
      new URL("./up.ts", import.meta.url).pathname,
    ],
    cwd: here.path,
    // INIT_CWD: where `deno task` was started; `deno task test` sets it.
    env: { XDG_CONFIG_HOME: `${here.path}/config`, INIT_CWD: here.path },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderrText = new Response(child.stderr).text();
  const decoder = new TextDecoder();
  let stdout = "";
  const reader = child.stdout.getReader();
  try {
    while (!stdout.includes("Press Ctrl-C")) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += decoder.decode(value, { stream: true });
    }
    child.kill("SIGTERM");
    for (
      let chunk = await reader.read();
      !chunk.done;
      chunk = await reader.read()
    ) {
      stdout += decoder.decode(chunk.value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
  const status = await child.status;
  const stderr = await stderrText;
  assert.equal(status.code, 0, stdout + stderr);

  const namespace = /Stack (e2e-[0-9a-f]{8}) is up/.exec(stdout)?.[1];
  assert.ok(namespace, stdout);
  const runtime = PODMAN ? "podman" : "disabled";
  assert.equal(
    stdout.match(new RegExp(`"runtime":"${runtime}"`, "g"))?.length,
    2,
    stdout + stderr,
  );
  assert.match(
    stderr,
    new RegExp(
      `\\[e2e\\] ping: deno run -A \\S+mod\\.ts ping vm-device-00-${namespace} vm-device-01-${namespace} -s nats://127\\.0\\.0\\.1:\\d+ --user admin --password [0-9a-f]{32}`,
    ),
  );
  assert.ok(
    stdout.includes(
      `Up. In another terminal, in ${here.path}:\n  source fleet-up.env\n  deno run -A ${ROOT}mod.ts ping $FLEET_DEVICES\n  deno run -A ${ROOT}mod.ts ping --context fleet-up $FLEET_DEVICES\n`,
    ),
    stdout,
  );
  const cli = `deno run -A ${ROOT}mod.ts`;
  const workloadLines = [
    `Started web-00 on vm-device-00-${namespace}, web-01 on vm-device-01-${namespace}.`,
    `  ${cli} logs $FLEET_DEVICE $FLEET_CONTAINER --tail 5`,
    `  ${cli} logs -f $FLEET_DEVICE $FLEET_CONTAINER`,
    `  ${cli} exec $FLEET_DEVICE $FLEET_CONTAINER -- sh -c 'echo "$DEVICE"; exit 3'`,
  ];
  for (const line of workloadLines) {
    assert.equal(stdout.includes(`${line}\n`), PODMAN, `${line}\n${stdout}`);
  }
  if (!PODMAN) {
    assert.match(stderr, /agents run without a container runtime/);
  }
  assert.match(stdout, /SIGTERM: tearing down/);
  assert.match(stdout, /Torn down\.\n$/);
  assert.deepEqual([...Deno.readDirSync(here.path)].map((e) => e.name), [
    "config",
  ]);
  assert.deepEqual(
    [...Deno.readDirSync(`${here.path}/config/nats/context`)],
    [],
  );
  assert.deepEqual(processesMentioning(namespace), []);
  assert.deepEqual(tempEntries(`fleet-${namespace}-`), []);
});

/** The process group of `pid` (field 5 of /proc/<pid>/stat). */
function processGroup(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[2]);
}

/** `deno run … e2e/up.ts`, the child `deno task up` runs, in group `pgid`. */
function upProcess(pgid: number): number {
  const pids = processesMentioning("e2e/up.ts").filter((pid) =>
    processAlive(pid) && processGroup(pid) === pgid
  );
  assert.equal(pids.length, 1, `up.ts processes in group ${pgid}: ${pids}`);
  return pids[0];
}

interface UpRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Pids printed by the debug info (agents and nats-server). */
  pids: number[];
  /** The stack's dir. */
  dir: string;
  /** The stack's namespace. */
  namespace: string;
  /** The dir of the stack's podman service, when it had one. */
  podmanDir: string | undefined;
  /** `fleet-up.env` and the `fleet-up` context. */
  files: string[];
  /** Those of `files` that existed while it was up. */
  filesWhileUp: string[];
}

/**
 * Runs `deno task up` in a process group of its own, as a terminal runs a
 * foreground job, waits for "Up.", calls `interrupt` with the group id, and
 * returns what it printed once it has exited.
 */
async function runUp(
  here: string,
  interrupt: (pgid: number) => void,
  options: { env?: Record<string, string>; args?: string[] } = {},
): Promise<UpRun> {
  const files = [
    `${here}/fleet-up.env`,
    `${here}/config/nats/context/fleet-up.json`,
  ];
  const child = new Deno.Command("setsid", {
    args: [
      Deno.execPath(),
      "task",
      "--config",
      `${ROOT}deno.json`,
      "up",
      ...options.args ?? [],
    ],
    cwd: here,
    // deno task keeps an INIT_CWD it inherits (`deno task test` sets one).
    env: { XDG_CONFIG_HOME: `${here}/config`, INIT_CWD: here, ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderrText = new Response(child.stderr).text();
  const decoder = new TextDecoder();
  let stdout = "";
  let filesWhileUp: string[] = [];
  let drained = false;
  const reader = child.stdout.getReader();
  try {
    while (!stdout.includes("Press Ctrl-C")) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += decoder.decode(value, { stream: true });
    }
    if (stdout.includes("Press Ctrl-C")) {
      filesWhileUp = files.filter(exists);
      interrupt(child.pid);
    }
    for (
      let chunk = await reader.read();
      !chunk.done;
      chunk = await reader.read()
    ) {
      stdout += decoder.decode(chunk.value, { stream: true });
    }
    drained = true;
  } finally {
    reader.releaseLock();
    // Whatever went wrong above, leave no stack behind.
    if (!drained) Deno.kill(-child.pid, "SIGTERM");
  }
  const { code } = await child.status;
  const stderr = await stderrText;
  const pids = [
    ...new Set([...stderr.matchAll(/\(pid (\d+)\)/g)].map((m) => Number(m[1]))),
  ];
  const dir = /\[e2e\] dir: (\S+)/.exec(stderr)?.[1] ?? "";
  const namespace = /Stack (e2e-[0-9a-f]{8}) is up/.exec(stdout)?.[1] ?? "";
  // nats-server, 2 agents and, with podman, its service.
  const podman = !(options.args ?? []).includes("--no-podman") && PODMAN;
  assert.equal(pids.length, podman ? 4 : 3, stdout + stderr);
  assert.ok(dir, stderr);
  assert.ok(namespace, stdout);
  // The podman service's storage, runroot and socket are under one dir.
  const podmanDir = /\[e2e\] podman: unix:\/\/(\S+)\/[^/\s]+\.sock/.exec(stderr)
    ?.[1];
  assert.equal(podmanDir !== undefined, podman, stderr);
  return {
    code,
    stdout,
    stderr,
    pids,
    dir,
    namespace,
    podmanDir,
    files,
    filesWhileUp,
  };
}

const INTERRUPTS: ReadonlyArray<[string, (pgid: number) => void]> = [
  ["SIGINT to the group", (pgid) => Deno.kill(-pgid, "SIGINT")],
  ["SIGINT to the group twice", (pgid) => {
    Deno.kill(-pgid, "SIGINT");
    Deno.kill(-pgid, "SIGINT");
  }],
  ["SIGINT to up.ts twice", (pgid) => {
    const pid = upProcess(pgid);
    Deno.kill(pid, "SIGINT");
    Deno.kill(pid, "SIGINT");
  }],
];

Deno.test("up() tears everything down on Ctrl-C, however often it is pressed", async () => {
  // Ten runs, cycling through the ways Ctrl-C arrives; fewer if the machine
  // is slow, but every way at least once.
  const budgetEnd = Date.now() + 20_000;
  for (let run = 0; run < 10; run++) {
    if (run >= INTERRUPTS.length && Date.now() > budgetEnd) break;
    const [how, interrupt] = INTERRUPTS[run % INTERRUPTS.length];
    await using here = await tempDir("fleet-up-test-");
    const result = await runUp(here.path, interrupt);
    const what = `run ${run + 1} (${how}):\n${result.stdout}${result.stderr}`;
    assert.equal(result.code, 0, what);
    assert.deepEqual(result.filesWhileUp, result.files, what);
    assert.match(result.stdout, /SIGINT: tearing down/, what);
    assert.match(result.stdout, /Torn down\.\n$/, what);
    assert.deepEqual(result.pids.filter(processAlive), [], what);
    assert.deepEqual(processesMentioning(result.namespace), [], what);
    if (result.podmanDir) {
      // Podman's service, conmon and container processes, and its storage.
      assert.deepEqual(processesMentioning(result.podmanDir), [], what);
      assert.equal(exists(result.podmanDir), false, what);
    }
    assert.equal(exists(result.dir), false, what);
    assert.deepEqual(result.files.filter(exists), [], what);
  }
});

Deno.test("up() with an unknown argument exits 2 with its usage, starting nothing", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--config", `${ROOT}deno.json`, "up", "--podman=no"],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 2, stderr);
  assert.match(
    stderr,
    /error: Cannot run deno task up: unknown argument "--podman=no"; usage: deno task up \[--no-podman\]\n/,
  );
  assert.doesNotMatch(new TextDecoder().decode(output.stdout), /Stack/);
});

Deno.test("up() with FLEET_E2E_KEEP=1 keeps its processes through the terminal's Ctrl-C", async () => {
  await using here = await tempDir("fleet-up-test-");
  const result = await runUp(
    here.path,
    (pgid) => Deno.kill(-pgid, "SIGINT"),
    // A kept podman stack is checked in stack_podman_test.ts.
    { env: { FLEET_E2E_KEEP: "1" }, args: ["--no-podman"] },
  );
  try {
    const what = result.stdout + result.stderr;
    assert.equal(result.code, 0, what);
    const cleanUp = /\[e2e\] clean up: kill ([\d ]+);/.exec(result.stderr);
    assert.ok(cleanUp, what);
    const kept = cleanUp[1].trim().split(" ").map(Number);
    assert.deepEqual(kept.toSorted(), result.pids.toSorted());
    assert.deepEqual(kept.filter((pid) => !processAlive(pid)), [], what);
    assert.ok(exists(result.dir), what);
    assert.match(result.stdout, /Kept\. /, what);
    assert.deepEqual(result.filesWhileUp, result.files, what);
    assert.deepEqual(result.files.filter((path) => !exists(path)), [], what);
  } finally {
    for (const pid of result.pids) {
      try {
        Deno.kill(pid, "SIGKILL");
      } catch {
        // Already gone.
      }
    }
    for (const pid of result.pids) {
      await waitFor(`process ${pid} to exit`, () => !processAlive(pid));
    }
    await Deno.remove(result.dir, { recursive: true }).catch(() => {});
  }
});
