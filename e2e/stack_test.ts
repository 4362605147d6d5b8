import assert from "node:assert/strict";
import { Stack, StackBringUpError } from "./stack.ts";
import { NatsServerStartError } from "../testing/nats_server_process.ts";
import {
  exists,
  processAlive,
  processesMentioning,
  tempDir,
  tempEntries,
} from "../testing/mod.ts";

Deno.test("Stack.bringUp() names its namespace, devices and credentials", async () => {
  await using stack = await Stack.bringUp({ devices: 2, keep: false });
  assert.match(stack.namespace, /^e2e-[0-9a-f]{8}$/);
  assert.deepEqual(stack.deviceIds, [
    `vm-device-00-${stack.namespace}`,
    `vm-device-01-${stack.namespace}`,
  ]);
  assert.match(stack.natsUrl, /^nats:\/\/127\.0\.0\.1:\d+$/);
  const admin = stack.adminCredentials;
  assert.equal(admin.user, "admin");
  assert.match(admin.password, /^[0-9a-f]{32}$/);
  const [a, b] = stack.deviceIds.map((id) => stack.deviceCredentials(id));
  assert.equal(a.user, `device-${stack.deviceIds[0]}`);
  assert.notEqual(a.password, b.password);
  assert.notEqual(a.password, admin.password);
  assert.ok(stack.dir.includes(stack.namespace));
  assert.equal(stack.agent(stack.deviceIds[1]).deviceId, stack.deviceIds[1]);
  assert.throws(() => stack.agent("vm-device-07"), RangeError);
});

Deno.test("Stack[Symbol.asyncDispose]() leaves no process and no temp dir", async () => {
  const stack = await Stack.bringUp({ devices: 2, keep: false });
  const pids = [
    stack.natsServer.pid,
    ...stack.deviceIds.map((id) => stack.agent(id).pid),
  ];
  assert.ok(pids.every(processAlive));
  assert.ok(processesMentioning(stack.dir).length >= 3);
  await Promise.all([
    stack[Symbol.asyncDispose](),
    stack[Symbol.asyncDispose](),
  ]);
  await stack[Symbol.asyncDispose]();
  assert.deepEqual(pids.filter(processAlive), []);
  assert.deepEqual(processesMentioning(stack.namespace), []);
  assert.equal(exists(stack.dir), false);
  assert.equal(stack.operatorClient.isClosed(), true);
  for (const id of stack.deviceIds) {
    // SIGTERM: the agent drains and exits 0.
    assert.equal(stack.agent(id).exitStatus?.code, 0);
  }
});

Deno.test("Stack.bringUp() with a nonexistent nats-server fails clearly and leaves nothing", async () => {
  await assert.rejects(
    Stack.bringUp({ natsServerBin: "/nonexistent/nats-server", keep: false }),
    (error) => {
      assert.ok(error instanceof StackBringUpError);
      assert.equal(error.step, "find nats-server");
      assert.ok(error.cause instanceof NatsServerStartError);
      assert.match(
        error.message,
        /^Cannot bring up e2e stack "e2e-[0-9a-f]{8}": find nats-server failed: nats-server "\/nonexistent\/nats-server" is not an executable file$/,
      );
      assert.deepEqual(tempEntries(`fleet-${error.namespace}-`), []);
      assert.deepEqual(processesMentioning(error.namespace), []);
      return true;
    },
  );
  // Nothing else is left in the temp dir either. Other test files bring up
  // stacks meanwhile, so this runs in a child with a temp dir of its own.
  await using tmp = await tempDir("fleet-stack-test-tmp-");
  const child = await new Deno.Command(Deno.execPath(), {
    args: [
      "eval",
      "--config",
      new URL("../deno.json", import.meta.url).pathname,
      `import { Stack } from ${
        JSON.stringify(import.meta.resolve("./stack.ts"))
      };
await Stack.bringUp({ natsServerBin: "/nonexistent/nats-server", keep: false })
  .then(() => console.log("up"), (error) => console.log(error.name));`,
    ],
    env: { TMPDIR: tmp.path },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  assert.equal(
    decoder.decode(child.stdout),
    "StackBringUpError\n",
    decoder.decode(child.stderr),
  );
  assert.deepEqual([...Deno.readDirSync(tmp.path)], []);
});

Deno.test("Stack.bringUp() failing half-way tears down what it started", async () => {
  // Executable, so the agents start and the temp dir exists before it fails.
  const dir = await Deno.makeTempDir({ prefix: "fleet-stack-test-" });
  try {
    const fake = `${dir}/nats-server`;
    await Deno.writeTextFile(
      fake,
      "#!/bin/sh\necho 'nats-server: cannot start' >&2\nexit 1\n",
    );
    await Deno.chmod(fake, 0o755);
    await assert.rejects(
      Stack.bringUp({ devices: 2, natsServerBin: fake, keep: false }),
      (error) => {
        assert.ok(error instanceof StackBringUpError);
        assert.equal(error.step, "start nats-server");
        assert.ok(error.cause instanceof NatsServerStartError);
        assert.match(error.message, /exited with code 1 before it was ready/);
        assert.match(error.message, /nats-server: cannot start/);
        assert.deepEqual(tempEntries(`fleet-${error.namespace}-`), []);
        assert.deepEqual(processesMentioning(error.namespace), []);
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("Stack.bringUp() with keep leaves processes and dir for debugging", async () => {
  const stack = await Stack.bringUp({ keep: true });
  const [deviceId] = stack.deviceIds;
  const agent = stack.agent(deviceId);
  try {
    await stack[Symbol.asyncDispose]();
    assert.equal(stack.operatorClient.isClosed(), true);
    assert.ok(processAlive(agent.pid));
    assert.ok(processAlive(stack.natsServer.pid));
    assert.ok(exists(stack.dir));
    assert.match(stack.debugInfo(), /kept: FLEET_E2E_KEEP=1/);
    assert.ok(
      stack.debugInfo().includes(`kill ${agent.pid} ${stack.natsServer.pid}`),
    );
  } finally {
    await agent[Symbol.asyncDispose]();
    await stack.natsServer[Symbol.asyncDispose]();
    await Deno.remove(stack.dir, { recursive: true });
  }
});

Deno.test("Stack.bringUp() rejects an unknown backend, also one from FLEET_E2E_BACKEND, with a RangeError listing them", async () => {
  await assert.rejects(
    // deno-lint-ignore no-explicit-any
    Stack.bringUp({ backend: "docker" as any }),
    (error) => {
      assert.ok(error instanceof RangeError);
      assert.equal(
        error.message,
        'Cannot bring up an e2e stack on backend "docker": expected "local", "podman", "k3d"',
      );
      return true;
    },
  );
  const before = Deno.env.get("FLEET_E2E_BACKEND");
  Deno.env.set("FLEET_E2E_BACKEND", "kind");
  try {
    await assert.rejects(Stack.bringUp(), (error) => {
      assert.ok(error instanceof RangeError);
      assert.match(
        error.message,
        /backend "kind": .* \(from FLEET_E2E_BACKEND\)$/,
      );
      return true;
    });
  } finally {
    if (before === undefined) Deno.env.delete("FLEET_E2E_BACKEND");
    else Deno.env.set("FLEET_E2E_BACKEND", before);
  }
});

Deno.test("Stack.bringUp() dispatches the k3d backend, which checks its options before touching any cluster", async () => {
  await assert.rejects(
    Stack.bringUp({ backend: "k3d", tls: true }),
    (error) => {
      assert.ok(error instanceof RangeError);
      assert.match(
        error.message,
        /^Cannot bring up e2e stack "e2e-[0-9a-f]{8}" on backend "k3d" with tls: true: TLS runs on the local backend only so far$/,
      );
      return true;
    },
  );
});

Deno.test("Stack.debugInfo() gives ready-to-paste commands", async () => {
  await using stack = await Stack.bringUp({ keep: false });
  const [id] = stack.deviceIds;
  const { user, password } = stack.adminCredentials;
  const text = stack.debugInfo();
  const auth = `-s ${stack.natsUrl} --user ${user} --password ${password}`;
  assert.ok(
    text.startsWith(
      `[e2e] namespace: ${stack.namespace} (will be deleted on exit unless FLEET_E2E_KEEP=1)`,
    ),
    text,
  );
  assert.ok(text.includes(`[e2e] NATS: ${stack.natsUrl}`));
  assert.ok(text.includes(`[e2e] devices: ${id}`));
  assert.match(
    text,
    new RegExp(
      `\\[e2e\\] ping: deno run -A \\S+/mod\\.ts ping ${id} ${
        auth.replace(/[./]/g, "\\$&")
      }`,
    ),
  );
  assert.ok(text.includes(`nats req device-commands.${id}.ping "" ${auth}`));
  assert.ok(text.includes(`tail -f ${stack.agent(id).logPath}`));
});

Deno.test("Stack.bringUp() stops when its signal aborts, and leaves nothing", async () => {
  const controller = new AbortController();
  const reason = new Error("Ctrl-C in the test");
  const bringUp = Stack.bringUp({
    devices: 2,
    keep: false,
    signal: controller.signal,
  });
  // Whichever step it is at, it stops there and tears down.
  setTimeout(() => controller.abort(reason), 0);
  await assert.rejects(bringUp, (error) => {
    assert.ok(error instanceof StackBringUpError, String(error));
    let cause: unknown = error;
    while (cause instanceof Error && cause !== reason) cause = cause.cause;
    assert.equal(cause, reason, error.message);
    assert.deepEqual(tempEntries(`fleet-${error.namespace}-`), []);
    assert.deepEqual(processesMentioning(error.namespace), []);
    return true;
  });
});
