import assert from "node:assert/strict";
import { PodmanClient } from "./client.ts";
import {
  PodmanConflictError,
  PodmanNotFoundError,
  PodmanUnavailableError,
} from "./errors.ts";
import { postUpgrade } from "./_upgrade.ts";
import {
  collect,
  ignore,
  socketCount,
  startPodman,
  text,
  waitFor,
} from "./_test_podman.ts";

/** Pids of the host processes in the process group `pgid`. */
function groupMembers(pgid: number): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    try {
      const stat = Deno.readTextFileSync(`/proc/${entry.name}/stat`);
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] !== "Z" && Number(fields[2]) === pgid) {
        pids.push(Number(entry.name));
      }
    } catch {
      // Not a process, or gone.
    }
  }
  return pids;
}

Deno.test({
  name: "PodmanClient.exec() against a real podman service",
  ignore,
  fn: async (t) => {
    await using podman = await startPodman();
    const { service, image, client } = podman;
    await service.runContainer({
      name: "box",
      image,
      cmd: ["sleep", "3600"],
      env: { FROM_IMAGE: "yes" },
      labels: { "harmony.fleet/device": "d1" },
    });

    await t.step(
      "exec() reports exit codes 0, 1, 3 and 127 (no such binary)",
      async () => {
        for (
          const [cmd, code] of [
            [["true"], 0],
            [["false"], 1],
            [["sh", "-c", "exit 3"], 3],
            [["no-such-binary"], 127],
          ] as const
        ) {
          await using run = await client.exec("box", { cmd });
          const output = await collect(run);
          assert.equal(await run.exitCode(), code, cmd.join(" "));
          if (code === 127) assert.match(text(output.stderr), /no-such-binary/);
        }
      },
    );

    await t.step("exec() streams stdout and stderr apart", async () => {
      await using run = await client.exec("box", {
        cmd: ["sh", "-c", "echo out; echo err >&2; printf '\\377\\000'"],
      });
      const output = await collect(run);
      assert.deepEqual(
        output.stdout,
        Uint8Array.of(...new TextEncoder().encode("out\n"), 0xff, 0x00),
      );
      assert.equal(text(output.stderr), "err\n");
      assert.equal(await run.exitCode(), 0);
    });

    await t.step("exec() passes env and workdir", async () => {
      await using run = await client.exec("box", {
        cmd: ["sh", "-c", 'echo "$GREETING|$FROM_IMAGE|$(pwd)"'],
        env: { GREETING: "hello world; $(not expanded)" },
        workdir: "/tmp",
      });
      const output = await collect(run);
      assert.equal(
        text(output.stdout),
        "hello world; $(not expanded)|yes|/tmp\n",
      );
      assert.equal(await run.exitCode(), 0);
    });

    await t.step(
      "exec() sends stdin and closes it (a cat round trip, binary, 1 MiB)",
      async () => {
        const stdin = crypto.getRandomValues(new Uint8Array(64 * 1024));
        const big = new Uint8Array(1024 * 1024);
        for (let i = 0; i < big.length; i += stdin.length) big.set(stdin, i);
        await using run = await client.exec("box", {
          cmd: ["cat"],
          stdin: big,
        });
        const output = await collect(run);
        assert.equal(output.stdout.length, big.length);
        assert.deepEqual(output.stdout, big);
        assert.equal(await run.exitCode(), 0);
        await using empty = await client.exec("box", {
          cmd: ["cat"],
          stdin: new Uint8Array(),
        });
        assert.deepEqual(await collect(empty), {
          stdout: new Uint8Array(),
          stderr: new Uint8Array(),
        });
        assert.equal(await empty.exitCode(), 0);
      },
    );

    await t.step(
      "exec() kill() stops the command and all it started; the exit code reads 137",
      async () => {
        await using run = await client.exec("box", {
          cmd: ["sh", "-c", "sleep 3601 & sleep 3602 & echo started; wait"],
        });
        const seen: string[] = [];
        let group = 0;
        for await (const { data } of run) {
          seen.push(text(data));
          group = (await run.inspect()).pid;
          await waitFor(
            "sh and its two sleeps",
            () => groupMembers(group).length === 3,
          );
          await run.kill();
        }
        assert.deepEqual(seen, ["started\n"]);
        assert.equal(await run.exitCode(), 137);
        await waitFor(
          "the killed processes to be gone",
          () => groupMembers(group).length === 0,
        );
        const ps = await service.podman([
          "exec",
          "box",
          "ps",
          "-o",
          "stat,args",
        ]);
        assert.doesNotMatch(
          text(ps.stdout).split("\n").filter((line) => !line.startsWith("Z"))
            .join("\n"),
          /sleep 360[12]/,
        );
      },
    );

    await t.step(
      "exec() kills the command when the consumer breaks out (a limit)",
      async () => {
        await using run = await client.exec("box", { cmd: ["yes"] });
        let bytes = 0;
        for await (const { data } of run) {
          bytes += data.length;
          if (bytes > 100_000) break;
        }
        assert.equal(await run.exitCode(), 137);
      },
    );

    await t.step(
      "exec() kills the command when its signal aborts, and rejects with the reason",
      async () => {
        const controller = new AbortController();
        const reason = new Error("deadline");
        await using run = await client.exec("box", {
          cmd: ["sh", "-c", "echo go; exec sleep 3600"],
          signal: controller.signal,
        });
        await assert.rejects(
          (async () => {
            for await (const _ of run) controller.abort(reason);
          })(),
          (error) => error === reason,
        );
        assert.equal(await run.exitCode(), 137);
      },
    );

    await t.step(
      "exec() leaves no connection open on podman once done",
      async () => {
        await using own = new PodmanClient(service.socketPath);
        const baseline = socketCount(service.pid);
        for (let i = 0; i < 3; i++) {
          await using run = await own.exec("box", { cmd: ["true"] });
          await run.exitCode();
        }
        await own[Symbol.asyncDispose]();
        await waitFor(
          "podman to close the exec connections",
          () => socketCount(service.pid) === baseline,
        );
      },
    );

    await t.step(
      "exec() with a label runs only in a container that carries it",
      async () => {
        await using run = await client.exec("box", {
          cmd: ["true"],
          label: "harmony.fleet/device=d1",
        });
        assert.equal(await run.exitCode(), 0);
        await assert.rejects(
          client.exec("box", {
            cmd: ["true"],
            label: "harmony.fleet/device=d2",
          }),
          (error) => {
            assert.ok(error instanceof PodmanNotFoundError);
            assert.match(error.message, /label "harmony\.fleet\/device=d2"/);
            return true;
          },
        );
      },
    );

    await t.step(
      "exec() in a missing container throws PodmanNotFoundError naming socket and endpoint",
      async () => {
        await assert.rejects(
          client.exec("ghost", { cmd: ["true"] }),
          (error) => {
            assert.ok(error instanceof PodmanNotFoundError);
            assert.equal(error.status, 404);
            assert.equal(
              error.endpoint,
              "POST /v4.0.0/libpod/containers/ghost/exec",
            );
            assert.equal(error.socket, service.socketPath);
            assert.equal(
              error.message,
              `Cannot exec in container "ghost": no container with name or ID "ghost" found: no such container (HTTP 404) (POST /v4.0.0/libpod/containers/ghost/exec on ${
                JSON.stringify(service.socketPath)
              })`,
            );
            return true;
          },
        );
      },
    );

    await t.step(
      "exec() start of a missing session reads podman's error answer off the raw connection",
      async () => {
        await assert.rejects(
          postUpgrade({
            socket: service.socketPath,
            path: "/v4.0.0/libpod/exec/0123abcd/start",
            action: "Cannot start exec session 0123abcd",
          }, "{}"),
          (error) => {
            assert.ok(error instanceof PodmanNotFoundError);
            assert.equal(error.status, 404);
            assert.match(
              error.reason,
              /no exec session with ID 0123abcd found/,
            );
            assert.equal(
              error.endpoint,
              "POST /v4.0.0/libpod/exec/0123abcd/start",
            );
            return true;
          },
        );
      },
    );

    await t.step(
      "exec() in a stopped container throws PodmanConflictError",
      async () => {
        await service.runContainer({ name: "stopped", image, cmd: ["true"] });
        await service.podman(["wait", "stopped"]);
        await assert.rejects(
          client.exec("stopped", { cmd: ["true"] }),
          (error) => {
            assert.ok(error instanceof PodmanConflictError);
            assert.match(
              error.message,
              /^Cannot exec in container "stopped": .*container state improper/,
            );
            return true;
          },
        );
      },
    );
  },
});

Deno.test({
  name:
    "PodmanExec.exitCode() throws PodmanUnavailableError when podman dies mid-exec, never a made-up code",
  ignore,
  fn: async () => {
    await using podman = await startPodman();
    const { service, image, client } = podman;
    await service.runContainer({ name: "box", image, cmd: ["sleep", "3600"] });
    await using run = await client.exec("box", {
      cmd: ["sh", "-c", "echo started; exec sleep 3600"],
    });
    for await (const _ of run) {
      Deno.kill(service.pid, "SIGKILL");
    }
    await assert.rejects(run.exitCode(), (error) => {
      assert.ok(error instanceof PodmanUnavailableError, String(error));
      assert.match(error.message, /^Cannot inspect exec session [0-9a-f]+: /);
      return true;
    });
  },
});
