// Stack.bringUp({ runtime: "podman" }): the stack's own podman service,
// labelled workload containers, the debug info's fleet commands, teardown
// that leaves nothing, a kept stack's clean-up line, and the error without
// podman.
import assert from "node:assert/strict";
import { FleetCommandsClient, RemoteCommandError } from "../operator/mod.ts";
import { runCli } from "../operator/mod.ts";
import {
  exists,
  ignoreWithoutPodman,
  processAlive,
  processesMentioning,
  tempDir,
  tempEntries,
  waitFor,
} from "../testing/mod.ts";
import { mountsUnder } from "../testing/_mounts.ts";
import { Stack, StackBringUpError, StackContainerError } from "./stack.ts";

const ignore = ignoreWithoutPodman();
const decoder = new TextDecoder();

/** What a stack with podman had on the host: checked gone after teardown. */
function footprint(stack: Stack) {
  const socket = stack.podmanSocketPath!;
  return {
    stackDir: stack.dir,
    podmanDir: socket.slice(0, socket.lastIndexOf("/")),
    pids: [
      stack.natsServer.pid,
      ...stack.deviceIds.map((id) => stack.agent(id).pid),
    ],
  };
}

function assertNothingLeft(
  left: ReturnType<typeof footprint>,
  containerIds: string[],
): void {
  assert.deepEqual(left.pids.filter(processAlive), []);
  for (const text of [left.stackDir, left.podmanDir, ...containerIds]) {
    assert.deepEqual(processesMentioning(text), [], text);
  }
  assert.deepEqual(mountsUnder(left.podmanDir), []);
  assert.equal(exists(left.stackDir), false);
  assert.equal(exists(left.podmanDir), false);
}

/** The `clean up:` command of a kept stack's debug info. */
function cleanUpLine(stack: Stack): string {
  const line = stack.debugInfo().split("\n").find((l) =>
    l.startsWith("[e2e] clean up: ")
  );
  assert.ok(line, stack.debugInfo());
  return line.slice("[e2e] clean up: ".length);
}

/** Runs a kept stack's clean-up line with bash, as pasted. */
function runCleanUpLine(stack: Stack): Promise<Deno.CommandOutput> {
  return new Deno.Command("bash", {
    args: ["-c", cleanUpLine(stack)],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
}

/** Runs the `fleet …` command of a debug-info line in-process. */
async function runPasted(line: string) {
  const args = line.slice(line.indexOf("/mod.ts ") + "/mod.ts ".length)
    .split(" ");
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    stdout: { write: (text) => void (stdout += text) },
    stderr: { write: (text) => void (stderr += text) },
    env: {},
  });
  return { code, stdout, stderr };
}

Deno.test('Stack.bringUp({ runtime: "podman" }) without podman fails at step "find podman", saying what to install, and leaves nothing', async () => {
  await assert.rejects(
    Stack.bringUp({ runtime: "podman", podmanBin: "/nonexistent/podman" }),
    (error) => {
      assert.ok(error instanceof StackBringUpError);
      assert.equal(error.step, "find podman");
      assert.match(
        error.message,
        /^Cannot bring up e2e stack "e2e-[0-9a-f]{8}": find podman failed: podman "\/nonexistent\/podman" cannot be run: .*; install podman, runc and busybox-static \(Debian: apt-get install podman runc busybox-static\), or bring the stack up with runtime: "disabled"$/,
      );
      assert.deepEqual(tempEntries(`fleet-${error.namespace}-`), []);
      return true;
    },
  );
});

Deno.test("Stack.bringUp() rejects an unknown runtime", async () => {
  await assert.rejects(
    // @ts-expect-error: not a runtime
    Stack.bringUp({ runtime: "docker" }),
    (error) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, /runtime "docker": expected "podman"/);
      return true;
    },
  );
});

Deno.test("Stack.startContainer() on a stack without podman throws StackContainerError", async () => {
  await using stack = await Stack.bringUp({ devices: 1 });
  assert.equal(stack.runtime, "disabled");
  assert.equal(stack.podmanSocketPath, undefined);
  await assert.rejects(
    stack.startContainer(stack.deviceIds[0], { name: "web", cmd: ["true"] }),
    (error) => {
      assert.ok(error instanceof StackContainerError);
      assert.equal(error.container, "web");
      assert.match(
        error.message,
        /^Cannot start container "web" in e2e stack "e2e-[0-9a-f]{8}": it runs without podman; bring it up with runtime: "podman"$/,
      );
      return true;
    },
  );
  await assert.rejects(
    stack.startContainer("vm-device-99", { name: "x", cmd: ["true"] }),
    RangeError,
  );
});

Deno.test({
  name:
    "Stack.bringUp({ runtime: \"podman\" }) gives each stack its own podman and each agent its device's containers; teardown leaves nothing; a kept stack's clean-up line removes it all",
  ignore,
  fn: async (t) => {
    // Two stacks at once, one over mutual TLS, one kept: they never meet.
    const settled = await Promise.allSettled([
      Stack.bringUp({ devices: 2, runtime: "podman", tls: true }),
      Stack.bringUp({ devices: 1, runtime: "podman", keep: true }),
    ]);
    if (settled.some((result) => result.status === "rejected")) {
      for (const result of settled) {
        if (result.status === "fulfilled") {
          await result.value[Symbol.asyncDispose]();
          if (result.value.keep) await runCleanUpLine(result.value);
        }
      }
      throw settled.find((result) => result.status === "rejected")!.reason;
    }
    const [stack, kept] = settled.map((result) =>
      (result as PromiseFulfilledResult<Stack>).value
    );
    const [a, b] = stack.deviceIds;
    const containerIds: string[] = [];
    const left = [footprint(stack), footprint(kept)];
    try {
      await t.step(
        "each agent runs with the stack's podman socket and its device's label",
        async () => {
          assert.equal(stack.runtime, "podman");
          assert.notEqual(stack.podmanSocketPath, kept.podmanSocketPath);
          const client = new FleetCommandsClient(stack.operatorClient);
          for (const id of stack.deviceIds) {
            assert.equal((await client.ping(id)).runtime, "podman");
            const config = await Deno.readTextFile(stack.agent(id).configPath);
            assert.ok(
              config.includes(
                `[runtime]\nsocket = "${stack.podmanSocketPath}"\ncontainer_label = "harmony.fleet/device=${id}"\n`,
              ),
              config,
            );
            assert.equal(
              stack.containerLabel(id),
              `harmony.fleet/device=${id}`,
            );
          }
        },
      );

      await t.step(
        "startContainer() runs a labelled container; only its device sees it",
        async () => {
          const web = await stack.startContainer(a, {
            name: "web",
            cmd: ["sh", "-c", 'echo "web of $OWNER"; exec sleep 3600'],
            env: { OWNER: "a" },
          });
          containerIds.push(web.id);
          assert.match(web.id, /^[0-9a-f]{64}$/);
          assert.deepEqual({ ...web, id: "" }, {
            id: "",
            name: "web",
            deviceId: a,
            image: web.image,
          });
          assert.match(web.image, /^localhost\/fleet-workload:[0-9a-f]{16}$/);
          const inspect = await stack.podman([
            "inspect",
            "--format",
            '{{.State.Status}} {{index .Config.Labels "harmony.fleet/device"}}',
            "web",
          ]);
          assert.equal(decoder.decode(inspect.stdout), `running ${a}\n`);
          // The kept stack's "web" is another container in other storage.
          const theirs = await kept.startContainer(kept.deviceIds[0], {
            name: "web",
            cmd: ["sh", "-c", "echo web of the kept stack; exec sleep 3600"],
          });
          containerIds.push(theirs.id);

          const client = new FleetCommandsClient(stack.operatorClient);
          const text = await waitFor("web's first line", async () => {
            let log = "";
            for await (const { data } of client.logs(a, { container: "web" })) {
              log += decoder.decode(data);
            }
            return log || undefined;
          });
          assert.equal(text, "web of a\n");
          await assert.rejects(
            client.exec(b, { container: "web", cmd: ["true"] }),
            (error) => {
              assert.ok(error instanceof RemoteCommandError, String(error));
              assert.equal(error.kind, "not_found");
              return true;
            },
          );
          await assert.rejects(
            stack.startContainer(a, { name: "web", cmd: ["true"] }),
            (error) => {
              assert.ok(error instanceof StackContainerError);
              assert.match(
                error.message,
                /^Cannot start container "web" for device/,
              );
              return true;
            },
          );
        },
      );

      await t.step(
        "debugInfo() prints fleet logs and fleet exec commands that work as pasted",
        async () => {
          const text = stack.debugInfo();
          const lines = text.split("\n");
          assert.match(
            text,
            new RegExp(
              `^\\[e2e\\] podman: unix://${stack.podmanSocketPath} {2}\\(pid \\d+\\); its containers: env CONTAINERS_CONF=\\S+ CONTAINERS_STORAGE_CONF=\\S+ TMPDIR=\\S+ podman --root \\S+ --runroot \\S+ --tmpdir \\S+ ps --all$`,
              "m",
            ),
          );
          const logs = lines.find((l) =>
            l.startsWith(`[e2e] logs web on ${a}: `)
          );
          const exec = lines.find((l) =>
            l.startsWith(`[e2e] exec in web on ${a}: `)
          );
          assert.ok(logs && exec, text);
          assert.match(logs, / --tlsfirst$/);
          const logsRun = await runPasted(logs);
          assert.deepEqual(logsRun, {
            code: 0,
            stdout: "web of a\n",
            stderr: "",
          });
          const execRun = await runPasted(exec);
          assert.equal(execRun.code, 0, execRun.stderr);
          assert.match(execRun.stdout, /sleep 3600/);
          assert.match(
            kept.debugInfo(),
            /\[e2e\] logs web on vm-device-00-e2e-[0-9a-f]{8}: .* logs vm-device-00-\S+ web --tail 20 -s nats:\/\//,
          );
        },
      );

      await t.step(
        "stopContainer() stops a container, which stays",
        async () => {
          await stack.stopContainer("web");
          const state = await stack.podman([
            "inspect",
            "--format",
            "{{.State.Status}}",
            "web",
          ]);
          assert.equal(decoder.decode(state.stdout), "exited\n");
          await assert.rejects(
            stack.stopContainer("nothing"),
            StackContainerError,
          );
        },
      );
    } finally {
      await stack[Symbol.asyncDispose]();
      await kept[Symbol.asyncDispose]();
    }
    let cleanedUp = false;
    try {
      await t.step(
        "teardown leaves no process, mount, dir or container",
        () => {
          assertNothingLeft(left[0], containerIds.slice(0, 1));
          assert.equal(stack.operatorClient.isClosed(), true);
        },
      );

      await t.step(
        "a kept stack outlives dispose; its clean-up line removes everything",
        async () => {
          assert.ok(left[1].pids.every(processAlive));
          assert.ok(exists(left[1].podmanDir));
          const running = await kept.podman(["ps", "--format", "{{.Names}}"]);
          assert.equal(decoder.decode(running.stdout), "web\n");
          assert.match(
            cleanUpLine(kept),
            /^env CONTAINERS_CONF=\S+ .* rm --all --force --time 0; kill [\d ]+; while kill -0 [\d ]+ 2>\/dev\/null; do sleep 0.1; done; umount --recursive \S+\/root\/overlay 2>\/dev\/null; rm -rf /,
          );
          cleanedUp = true;
          const result = await runCleanUpLine(kept);
          assert.equal(result.code, 0, decoder.decode(result.stderr));
          for (const pid of left[1].pids) {
            await waitFor(`process ${pid} to exit`, () => !processAlive(pid));
          }
          await waitFor(
            "the kept stack's processes to end",
            () =>
              [left[1].podmanDir, ...containerIds.slice(1)].every((text) =>
                processesMentioning(text).length === 0
              ),
          );
          assertNothingLeft(left[1], containerIds.slice(1));
        },
      );
    } finally {
      if (!cleanedUp) await runCleanUpLine(kept);
    }
  },
});

Deno.test({
  name:
    'Stack.bringUp({ runtime: "podman" }) failing half-way removes the podman service it had started',
  ignore,
  fn: async () => {
    await using outside = await tempDir("fleet-stack-podman-test-");
    // nats-server fails; before that it saves the agents' configs, which
    // name the podman socket.
    const fake = `${outside.path}/nats-server`;
    await Deno.writeTextFile(
      fake,
      `#!/bin/sh\ncat "$(dirname "$2")"/agent-*.toml > ${outside.path}/agents.toml\necho 'nats-server: cannot start' >&2\nexit 1\n`,
    );
    await Deno.chmod(fake, 0o755);
    await assert.rejects(
      Stack.bringUp({ runtime: "podman", natsServerBin: fake }),
      (error) => {
        assert.ok(error instanceof StackBringUpError);
        assert.equal(error.step, "start nats-server");
        assert.deepEqual(tempEntries(`fleet-${error.namespace}-`), []);
        return true;
      },
    );
    const socket = /^socket = "(.*)"$/m.exec(
      await Deno.readTextFile(`${outside.path}/agents.toml`),
    )?.[1];
    assert.ok(socket);
    const podmanDir = socket.slice(0, socket.lastIndexOf("/"));
    assert.deepEqual(processesMentioning(podmanDir), []);
    assert.deepEqual(mountsUnder(podmanDir), []);
    assert.equal(exists(podmanDir), false);
  },
});
