// `exec` end to end: real podman, real nats-server (mutual TLS), real agent
// processes, the real client and CLI, through one Stack with podman; and a
// Stack without a runtime for `unsupported` and allowed host exec.
import assert from "node:assert/strict";
import {
  FleetCommandsClient,
  RemoteCommandError,
  StreamEndedEarlyError,
} from "../operator/mod.ts";
import { ignoreWithoutPodman, waitFor } from "../testing/mod.ts";
import { DenoChild, FLEET_CLI, stackEnv } from "./_test_deno_child.ts";
import { Stack } from "./stack.ts";

const decoder = new TextDecoder();
const MIB = 1024 * 1024;

/** Asserts that `promise` rejects with the agent's error of `kind`. */
async function rejectsWithKind(
  promise: Promise<unknown>,
  kind: string,
  deviceId: string,
): Promise<void> {
  await assert.rejects(promise, (error) => {
    assert.ok(error instanceof RemoteCommandError, String(error));
    assert.equal(error.kind, kind);
    assert.equal(error.deviceId, deviceId);
    return true;
  });
}

Deno.test({
  name: "FleetCommandsClient.exec() and fleet exec through a stack with podman",
  ignore: ignoreWithoutPodman(),
  fn: async (t) => {
    // Brought up together: one with podman over mutual TLS, one without a
    // runtime that allows host exec.
    const settled = await Promise.allSettled([
      Stack.bringUp({ devices: 2, runtime: "podman", tls: true }),
      Stack.bringUp({ devices: 1, exec: { allowHost: true } }),
    ]);
    await using stacks = new AsyncDisposableStack();
    for (const result of settled) {
      if (result.status === "fulfilled") stacks.use(result.value);
    }
    for (const result of settled) {
      if (result.status === "rejected") throw result.reason;
    }
    const [stack, plain] = settled.map((result) =>
      (result as PromiseFulfilledResult<Stack>).value
    );
    const [a, b] = stack.deviceIds;
    const client = new FleetCommandsClient(stack.operatorClient, {
      timeoutMs: 20_000,
    });
    await Promise.all([
      stack.startContainer(a, { name: "box", cmd: ["sleep", "86400"] }),
      stack.startContainer(a, { name: "stopped", cmd: ["sleep", "86400"] }),
      stack.startContainer(b, { name: "theirs", cmd: ["sleep", "86400"] }),
    ]);
    const box = (cmd: string[]) => ({ container: "box", cmd });
    /** The command lines of the processes running in `box`. */
    const processes = async () =>
      decoder.decode((await client.exec(a, box(["ps", "-o", "args"]))).stdout);

    await t.step(
      "exit codes 0, 3, 127 (no such binary) and 137 (killed) come back as they are",
      async () => {
        const codes = [];
        for (
          const cmd of [
            ["true"],
            ["sh", "-c", "exit 3"],
            ["no-such-binary"],
            ["sh", "-c", "kill -9 $$"],
          ]
        ) {
          const result = await client.exec(a, box(cmd));
          assert.equal(result.truncated, false);
          codes.push(result.exitCode);
        }
        assert.deepEqual(codes, [0, 3, 127, 137]);
      },
    );

    await t.step(
      "the deadline stops sleep 3600: StreamEndedEarlyError, the process gone",
      async () => {
        const sleeping = client.exec(a, {
          ...box(["sleep", "3600"]),
          timeoutMs: 1500,
        });
        sleeping.catch(() => {});
        await waitFor(
          "sleep 3600 to run in the container",
          async () => (await processes()).includes("sleep 3600"),
        );
        await assert.rejects(
          sleeping,
          (error) => {
            assert.ok(error instanceof StreamEndedEarlyError, String(error));
            assert.equal(error.reason, "deadline");
            assert.equal(error.timeoutMs, 1500);
            return true;
          },
        );
        await waitFor(
          "sleep 3600 to be gone from the container",
          async () => !(await processes()).includes("sleep 3600"),
        );
        assert.match(await processes(), /sleep 86400/);
      },
    );

    await t.step(
      "limit_bytes stops yes: truncated, cut at the limit, the process gone",
      async () => {
        const result = await client.exec(a, {
          ...box(["yes"]),
          limitBytes: MIB,
        });
        assert.equal(result.truncated, true);
        assert.equal(result.stdout.length, MIB);
        assert.equal(decoder.decode(result.stdout.subarray(0, 4)), "y\ny\n");
        await waitFor(
          "yes to be gone from the container",
          async () => !/^yes$/m.test(await processes()),
        );
      },
    );

    await t.step(
      "stdin goes in (cat gives it back byte for byte), env and workdir apply",
      async () => {
        const stdin = new Uint8Array(256 * 1024).map((_, i) => (i * 7) % 256);
        const cat = await client.exec(a, { ...box(["cat"]), stdin });
        assert.equal(cat.exitCode, 0);
        assert.deepEqual(cat.stdout, stdin);
        const shell = await client.exec(a, {
          ...box(["sh", "-c", 'echo "$GREETING"; pwd; echo oops >&2']),
          env: { GREETING: "hello from the fleet" },
          workdir: "/tmp",
        });
        assert.equal(
          decoder.decode(shell.stdout),
          "hello from the fleet\n/tmp\n",
        );
        assert.equal(decoder.decode(shell.stderr), "oops\n");
      },
    );

    await t.step("host exec is forbidden by default", async () => {
      await rejectsWithKind(
        client.exec(a, { host: true, cmd: ["true"] }),
        "forbidden",
        a,
      );
    });

    await t.step(
      "another device's container, or none: not_found; a stopped one: conflict",
      async () => {
        await rejectsWithKind(
          client.exec(a, { container: "theirs", cmd: ["true"] }),
          "not_found",
          a,
        );
        await rejectsWithKind(
          client.exec(a, { container: "nothing", cmd: ["true"] }),
          "not_found",
          a,
        );
        assert.equal(
          (await client.exec(b, { container: "theirs", cmd: ["true"] }))
            .exitCode,
          0,
        );
        await stack.stopContainer("stopped");
        await rejectsWithKind(
          client.exec(a, { container: "stopped", cmd: ["true"] }),
          "conflict",
          a,
        );
      },
    );

    await t.step("fleet exec … -- sh -c 'exit 7' exits 7", async () => {
      await using fleet = new DenoChild(
        FLEET_CLI,
        [
          "exec",
          a,
          "box",
          "--no-context",
          "--tlsfirst",
          "--",
          "sh",
          "-c",
          "echo seven; exit 7",
        ],
        stackEnv(stack),
      );
      const status = await fleet.exited();
      assert.equal(status.code, 7, fleet.stderr);
      assert.equal(fleet.stdout, "seven\n");
    });

    await t.step(
      "without a runtime: container exec and logs are unsupported; host exec runs when allowed",
      async () => {
        const [device] = plain.deviceIds;
        const plainClient = new FleetCommandsClient(plain.operatorClient);
        await rejectsWithKind(
          plainClient.exec(device, { container: "box", cmd: ["true"] }),
          "unsupported",
          device,
        );
        await rejectsWithKind(
          (async () => {
            for await (
              const _ of plainClient.logs(device, { container: "box" })
            ) {
              // Nothing comes.
            }
          })(),
          "unsupported",
          device,
        );
        const host = await plainClient.exec(device, {
          host: true,
          cmd: ["sh", "-c", "echo on the host; exit 4"],
        });
        assert.equal(host.exitCode, 4);
        assert.equal(decoder.decode(host.stdout), "on the host\n");
      },
    );
  },
});
