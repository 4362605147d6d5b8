// The exec handler in a CommandServer on a real nats-server: in containers
// of a real podman service, and on the host.
import assert from "node:assert/strict";
import { encodeBase64, EndReason } from "../../contracts/mod.ts";
import {
  commandLine,
  processesMentioning,
  waitFor,
} from "../../testing/mod.ts";
import { withServer } from "../_test_server.ts";
import { execHandler } from "./exec.ts";
import {
  collect,
  DEVICE,
  ignore,
  LABEL,
  open,
  OTHER_DEVICE,
  remoteError,
  startPodman,
  text,
} from "./_test_podman_verbs.ts";

/** A `sleep` argument no other process has. */
function uniqueSleep(): string {
  return `3600.${crypto.getRandomValues(new Uint32Array(1))[0]}`;
}

/** Host processes running `sleep <marker>` (exec'd ones included: same pid namespace). */
function sleeps(marker: string): number[] {
  return processesMentioning(marker).filter((pid) =>
    commandLine(pid) === `sleep ${marker}`
  );
}

Deno.test({
  name:
    "execHandler() in containers through the command server against a real podman",
  ignore,
  fn: async (t) => {
    await using fixture = await startPodman();
    const { service, podman, run } = fixture;
    await run("box", ["sleep", "3600"]);
    await run("theirs", ["sleep", "3600"], OTHER_DEVICE);
    await run("stopped", ["true"]);
    await service.podman(["wait", "stopped"]);

    await withServer(async ({ operatorNc: nc, newServer, logs }) => {
      await using server = newServer(
        { exec: execHandler({ podman, containerLabel: LABEL }) },
        { runtime: "podman" },
      );
      await server.start();
      const exec = (
        cmd: string[],
        fields: Record<string, unknown> = {},
        deadlineMs?: number,
      ) =>
        collect(nc, "exec", { container: "box", cmd, ...fields }, {
          deadlineMs,
        });
      /** `ps` in the box: the `sleep <marker>` processes it runs. */
      const boxSleeps = async (marker: string) =>
        text((await exec(["ps", "-o", "args"])).stdout).split("\n")
          .filter((line) => line.trim() === `sleep ${marker}`);

      await t.step(
        "exec ends eof with the exit code: 0, 1, 3, 127 (no such binary), 137 (killed)",
        async () => {
          for (
            const [cmd, code] of [
              [["true"], 0],
              [["false"], 1],
              [["sh", "-c", "exit 3"], 3],
              [["no-such-binary"], 127],
              [["sh", "-c", "kill -9 $$"], 137],
            ] as const
          ) {
            const result = await exec([...cmd]);
            assert.deepEqual(
              result.end,
              { reason: EndReason.Eof, exitCode: code },
              cmd.join(" "),
            );
            if (code === 127) {
              assert.match(text(result.stderr), /no-such-binary/);
            }
          }
        },
      );

      await t.step(
        "exec streams stdout and stderr apart, binary output byte for byte",
        async () => {
          const result = await exec([
            "sh",
            "-c",
            "echo out; echo err >&2; printf '\\377\\000\\200'",
          ]);
          assert.deepEqual(
            result.stdout,
            Uint8Array.of(...new TextEncoder().encode("out\n"), 0xff, 0, 0x80),
          );
          assert.equal(text(result.stderr), "err\n");
        },
      );

      await t.step(
        "exec sends stdin (cat round trip, 512 KiB of binary)",
        async () => {
          const stdin = new Uint8Array(512 * 1024).map((_, i) => (i * 7) % 256);
          const result = await exec(["cat"], { stdin: encodeBase64(stdin) });
          assert.deepEqual(result.end, { reason: EndReason.Eof, exitCode: 0 });
          assert.equal(result.stdout.length, stdin.length);
          assert.ok(result.stdout.every((byte, i) => byte === stdin[i]));
          const none = await exec(["cat"]);
          assert.equal(none.stdout.length, 0);
          assert.equal(none.end.exitCode, 0);
        },
      );

      await t.step("exec passes env and workdir", async () => {
        const result = await exec([
          "sh",
          "-c",
          'echo "$FLEET_A|$FLEET_B|$(pwd)"',
        ], {
          env: { FLEET_A: "a b", FLEET_B: "x=y" },
          workdir: "/tmp",
        });
        assert.equal(text(result.stdout), "a b|x=y|/tmp\n");
        const noDir = await exec(["pwd"], { workdir: "/nonexistent" });
        assert.equal(noDir.end.exitCode, 127);
        assert.match(text(noDir.stderr), /nonexistent/);
      });

      await t.step(
        "the deadline stops `sleep 3600` (end deadline, no exit code) and the process is gone from the container",
        async () => {
          const marker = uniqueSleep();
          const result = await exec(["sleep", marker], {}, 1500);
          assert.deepEqual(result.end, { reason: EndReason.Deadline });
          await waitFor(
            "the sleep to be gone from the host",
            () => sleeps(marker).length === 0,
          );
          assert.deepEqual(await boxSleeps(marker), []);
        },
      );

      await t.step(
        "limit_bytes stops `yes` (end limit, exactly the limit) and the process is gone",
        async () => {
          const marker = uniqueSleep();
          const result = await exec(["yes", marker], {
            limit_bytes: 100_000,
          });
          assert.deepEqual(result.end, { reason: EndReason.Limit });
          assert.equal(result.stdout.length, 100_000);
          assert.equal(
            text(result.stdout.subarray(0, marker.length + 1)),
            `${marker}\n`,
          );
          await waitFor(
            "yes to be gone from the host",
            () => processesMentioning(marker).length === 0,
          );
          const ps = await exec(["ps", "-o", "args"]);
          assert.doesNotMatch(
            text(ps.stdout),
            new RegExp(`^yes ${marker}`, "m"),
          );
        },
      );

      await t.step(
        "cancel stops a running exec (end cancelled) and the process is gone",
        async () => {
          const marker = uniqueSleep();
          const reader = open(nc, "exec", {
            container: "box",
            cmd: ["sh", "-c", `echo started; sleep ${marker}`],
          });
          const iterator = reader[Symbol.asyncIterator]();
          await iterator.next();
          await waitFor("the sleep", () => sleeps(marker).length === 1);
          assert.equal(await reader.cancel(), true);
          while (!(await iterator.next()).done) {
            // Nothing more is expected.
          }
          assert.deepEqual(reader.end, { reason: EndReason.Cancelled });
          await waitFor(
            "the sleep to be gone",
            () => sleeps(marker).length === 0,
          );
          assert.deepEqual(await boxSleeps(marker), []);
        },
      );

      await t.step(
        "exec in a missing container or another device's is not_found, in a stopped one conflict",
        async () => {
          for (const container of ["ghost", "theirs"]) {
            const error = await remoteError(
              collect(nc, "exec", { container, cmd: ["true"] }),
            );
            assert.equal(error.kind, "not_found");
            assert.equal(error.code, 404);
            assert.equal(
              error.remoteMessage,
              `Cannot exec in container "${container}" on device "${DEVICE}": no such container`,
            );
          }
          const error = await remoteError(
            collect(nc, "exec", { container: "stopped", cmd: ["true"] }),
          );
          assert.equal(error.kind, "conflict");
          assert.equal(error.code, 409);
          assert.match(
            error.remoteMessage,
            new RegExp(
              `^Cannot exec in container "stopped" on device "${DEVICE}": the container is not running`,
            ),
          );
        },
      );

      await t.step(
        "host exec is forbidden by default, also beside a container runtime",
        async () => {
          const error = await remoteError(
            collect(nc, "exec", { host: true, cmd: ["true"] }),
          );
          assert.equal(error.kind, "forbidden");
          assert.equal(error.code, 403);
          assert.equal(
            error.remoteMessage,
            `Host exec is not allowed on device "${DEVICE}" (its agent's [exec] allow_host = false)`,
          );
        },
      );

      await t.step(
        "every exec is logged at info: container, argv, outcome, exit code, bytes, end; never stdin or env values",
        async () => {
          const secretIn = "stdin-secret-4c1e";
          const secretEnv = "env-secret-9f2a";
          const result = await collect(nc, "exec", {
            container: "box",
            cmd: ["sh", "-c", "cat >/dev/null; echo done"],
            stdin: encodeBase64(new TextEncoder().encode(secretIn)),
            env: { FLEET_TOKEN: secretEnv },
          }, { requestId: "logged-exec", operatorSub: "alice" });
          assert.equal(text(result.stdout), "done\n");
          const line = await waitFor(
            "the command line",
            () =>
              logs.find((l) =>
                l.event === "command" && l.request_id === "logged-exec"
              ),
          );
          assert.equal(line.level, "info");
          assert.equal(line.verb, "exec");
          assert.equal(line.container, "box");
          assert.deepEqual(line.argv, [
            "sh",
            "-c",
            "cat >/dev/null; echo done",
          ]);
          assert.equal(line.operator_sub, "alice");
          assert.equal(line.outcome, "ok");
          assert.equal(line.exit_code, 0);
          assert.equal(line.bytes, 5);
          assert.equal(line.end, "eof");
          assert.deepEqual(line.env_names, ["FLEET_TOKEN"]);
          assert.equal(line.stdin_bytes, secretIn.length);
          const all = JSON.stringify(logs);
          assert.ok(!all.includes(secretIn), "stdin in the log");
          assert.ok(!all.includes(secretEnv), "an env value in the log");
          const notFound = logs.find((l) =>
            l.event === "command" && l.container === "ghost"
          );
          assert.equal(notFound?.outcome, "not_found");
          assert.equal(notFound?.level, "info");
        },
      );
    });

    await withServer(async ({ operatorNc: nc, newServer }) => {
      await using server = newServer(
        {
          exec: execHandler({
            podman,
            containerLabel: LABEL,
            policy: { enabled: false },
          }),
        },
        { runtime: "podman" },
      );
      await server.start();
      await t.step(
        "exec in a container is forbidden when disabled",
        async () => {
          const error = await remoteError(
            collect(nc, "exec", { container: "box", cmd: ["true"] }),
          );
          assert.equal(error.kind, "forbidden");
          assert.equal(
            error.remoteMessage,
            `Exec in containers is not allowed on device "${DEVICE}" (its agent's [exec] enabled = false)`,
          );
        },
      );
    });
  },
});

Deno.test("execHandler() without podman answers container exec unsupported and host exec forbidden by default", async () => {
  await withServer(async ({ operatorNc: nc, newServer }) => {
    await using server = newServer({ exec: execHandler() });
    await server.start();
    const container = await remoteError(
      collect(nc, "exec", { container: "box", cmd: ["true"] }),
    );
    assert.equal(container.kind, "unsupported");
    assert.equal(
      container.remoteMessage,
      `Verb "exec" is not available on device "${DEVICE}": its agent has no container runtime (runtime_enabled = false)`,
    );
    const host = await remoteError(
      collect(nc, "exec", { host: true, cmd: ["true"] }),
    );
    assert.equal(host.kind, "forbidden");
  });
});

Deno.test("execHandler() runs host exec when allowed, also without a container runtime, and kills it with its children on the deadline", async () => {
  await withServer(async ({ operatorNc: nc, newServer }) => {
    await using server = newServer({
      exec: execHandler({ policy: { allowHost: true } }),
    });
    await server.start();
    const ran = await collect(nc, "exec", {
      host: true,
      cmd: ["sh", "-c", 'cat; echo "$FLEET_A $(pwd)" >&2; exit 7'],
      stdin: encodeBase64(new TextEncoder().encode("in\n")),
      env: { FLEET_A: "a" },
      workdir: "/tmp",
    });
    assert.deepEqual(ran.end, { reason: EndReason.Eof, exitCode: 7 });
    assert.equal(text(ran.stdout), "in\n");
    assert.equal(text(ran.stderr), "a /tmp\n");
    const missing = await collect(nc, "exec", {
      host: true,
      cmd: ["no-such-binary-xyz"],
    });
    assert.deepEqual(missing.end, { reason: EndReason.Eof, exitCode: 127 });
    assert.equal(
      text(missing.stderr),
      "fleet-agent: no-such-binary-xyz: command not found\n",
    );
    const marker = uniqueSleep();
    const stopped = await collect(nc, "exec", {
      host: true,
      cmd: ["sh", "-c", `sleep ${marker} & sleep ${marker}`],
    }, { deadlineMs: 1000 });
    assert.deepEqual(stopped.end, { reason: EndReason.Deadline });
    await waitFor(
      "no process left",
      () => processesMentioning(marker).length === 0,
    );
  });
});
