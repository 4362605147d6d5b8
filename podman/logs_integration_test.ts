import assert from "node:assert/strict";
import { PodmanClient } from "./client.ts";
import { PodmanNotFoundError, PodmanStreamError } from "./errors.ts";
import {
  collect,
  ignore,
  socketCount,
  startPodman,
  text,
  waitFor,
} from "./_test_podman.ts";

// The sleeps give each line a time of its own (for since and until).
const MIXED = [
  'for i in 1 2 3 4 5 6 7 8 9 10; do echo "out $i"; sleep 0.01; echo "err $i" >&2; sleep 0.01; done',
  "printf 'no newline at the end'",
].join("; ");
const BINARY = String
  .raw`printf '\377\376\000\001\200 bin\n'; printf '\303\050\n' >&2; printf '\t\r\n'`;
const LINE = "0123456789abcdefghijklmnopqrstuvwxyz".repeat(3);
const BIG_BYTES = 4 * 1024 * 1024;

Deno.test({
  name: "PodmanClient.logs() against a real podman service",
  ignore,
  fn: async (t) => {
    await using podman = await startPodman();
    const { service, image, client } = podman;
    await service.runContainer({
      name: "mixed",
      image,
      cmd: ["sh", "-c", MIXED],
    });
    await service.runContainer({
      name: "binary",
      image,
      cmd: ["sh", "-c", BINARY],
    });
    await service.runContainer({
      name: "big",
      image,
      cmd: ["sh", "-c", `yes '${LINE}' | head -c ${BIG_BYTES}`],
    });
    await service.podman(["wait", "mixed", "binary", "big"]);

    /** `podman logs <flags> <name>`, on the same storage. */
    const cli = (flags: string[], name: string) =>
      service.podman(["logs", ...flags, name]);

    await t.step(
      "logs() matches `podman logs` byte for byte, stdout and stderr apart",
      async () => {
        const ours = await collect(client.logs("mixed"));
        const theirs = await cli([], "mixed");
        assert.equal(text(ours.stdout), text(theirs.stdout));
        assert.deepEqual(ours.stdout, theirs.stdout);
        assert.deepEqual(ours.stderr, theirs.stderr);
        assert.match(
          text(ours.stdout),
          /^out 1\nout 2\n.*out 10\nno newline at the end/s,
        );
        assert.match(text(ours.stderr), /^err 1\n.*err 10\n$/s);
      },
    );

    await t.step("logs() with tail matches `podman logs --tail`", async () => {
      for (const tail of [0, 1, 3, 100]) {
        const ours = await collect(client.logs("mixed", { tail }));
        const theirs = await cli(["--tail", String(tail)], "mixed");
        assert.deepEqual(
          ours,
          { stdout: theirs.stdout, stderr: theirs.stderr },
          `tail ${tail}`,
        );
      }
      // (podman 4.3 itself mixes a final partial line into the other
      // stream under --tail; matching the CLI is what counts.)
      const none = await collect(client.logs("mixed", { tail: 0 }));
      assert.deepEqual(none, {
        stdout: new Uint8Array(),
        stderr: new Uint8Array(),
      });
    });

    await t.step(
      "logs() with timestamps matches `podman logs --timestamps` (to the second before podman 6)",
      async () => {
        const ours = await collect(client.logs("mixed", { timestamps: true }));
        const theirs = await cli(["--timestamps"], "mixed");
        // The API of podman before 6 writes whole seconds where the CLI
        // writes nanoseconds (containers/podman#27691): compare without
        // the fractions.
        const seconds = (bytes: Uint8Array) =>
          text(bytes).replace(/^(\S+?)\.\d+/gm, "$1");
        assert.equal(seconds(ours.stdout), seconds(theirs.stdout));
        assert.equal(seconds(ours.stderr), seconds(theirs.stderr));
        assert.match(
          text(ours.stdout),
          /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) out 1\n/,
        );
      },
    );

    await t.step(
      "logs() with since and until matches `podman logs --since --until`",
      async () => {
        const stamped = text((await cli(["--timestamps"], "mixed")).stdout)
          .split("\n");
        const since = stamped[3].split(" ")[0];
        const until = stamped[7].split(" ")[0];
        for (
          const [options, flags] of [
            [{ since }, ["--since", since]],
            [{ until }, ["--until", until]],
            [{ since, until }, ["--since", since, "--until", until]],
            [{ since: new Date(Date.now() + 60_000) }, [
              "--since",
              new Date(Date.now() + 60_000).toISOString(),
            ]],
          ] as const
        ) {
          const ours = await collect(client.logs("mixed", options));
          const theirs = await cli([...flags], "mixed");
          assert.deepEqual(ours, {
            stdout: theirs.stdout,
            stderr: theirs.stderr,
          }, flags.join(" "));
        }
        const window = await collect(client.logs("mixed", { since, until }));
        assert.match(text(window.stdout), /^out [45]\n.*out 7\n$/s);
        assert.doesNotMatch(text(window.stdout), /out (3|8|9|10)\n/);
      },
    );

    await t.step(
      "logs() of stdout only and of stderr only match `podman logs`",
      async () => {
        const stdoutOnly = await collect(
          client.logs("mixed", { stderr: false }),
        );
        const stderrOnly = await collect(
          client.logs("mixed", { stdout: false }),
        );
        const theirs = await cli([], "mixed");
        assert.deepEqual(stdoutOnly, {
          stdout: theirs.stdout,
          stderr: new Uint8Array(),
        });
        assert.deepEqual(stderrOnly, {
          stdout: new Uint8Array(),
          stderr: theirs.stderr,
        });
      },
    );

    await t.step(
      "logs() passes binary (non-UTF-8) output byte for byte",
      async () => {
        const ours = await collect(client.logs("binary"));
        const theirs = await cli([], "binary");
        assert.deepEqual(ours, {
          stdout: theirs.stdout,
          stderr: theirs.stderr,
        });
        assert.deepEqual(
          [...ours.stdout.subarray(0, 5)],
          [0xff, 0xfe, 0x00, 0x01, 0x80],
        );
        assert.deepEqual([...ours.stderr], [0xc3, 0x28, 0x0a]);
      },
    );

    await t.step(
      "logs() reads a multi-MiB log whole, as `podman logs` does",
      async () => {
        const ours = await collect(client.logs("big"));
        const theirs = await cli([], "big");
        assert.equal(ours.stdout.length, BIG_BYTES);
        assert.deepEqual(ours.stdout, theirs.stdout);
        assert.equal(ours.stderr.length, 0);
      },
    );

    await t.step(
      "logs() with follow delivers lines written later and ends when the container exits",
      async () => {
        const script = [
          "echo first",
          "while [ ! -e /tmp/go ]; do sleep 0.05; done",
          "echo after",
          "while [ ! -e /tmp/stop ]; do sleep 0.05; done",
          "echo bye >&2",
        ].join("; ");
        await service.runContainer({
          name: "follower",
          image,
          cmd: ["sh", "-c", script],
        });
        const seen: string[] = [];
        for await (
          const { stream, data } of client.logs("follower", {
            follow: true,
            signal: AbortSignal.timeout(60_000),
          })
        ) {
          const line = `${stream}:${text(data)}`;
          seen.push(line);
          if (line === "stdout:first\n") {
            await service.podman(["exec", "follower", "touch", "/tmp/go"]);
          }
          if (line === "stdout:after\n") {
            await service.podman(["exec", "follower", "touch", "/tmp/stop"]);
          }
        }
        assert.deepEqual(seen, [
          "stdout:first\n",
          "stdout:after\n",
          "stderr:bye\n",
        ]);
      },
    );

    await t.step(
      "logs() closes its HTTP request when the consumer breaks out of a follow",
      async () => {
        await service.runContainer({
          name: "ticker",
          image,
          cmd: ["sh", "-c", "while true; do echo tick; sleep 0.05; done"],
        });
        // A client of its own: its only connection is the log request.
        await using own = new PodmanClient(service.socketPath);
        const baseline = socketCount(service.pid);
        let ticks = 0;
        for await (const _ of own.logs("ticker", { follow: true, tail: 0 })) {
          assert.ok(socketCount(service.pid) > baseline);
          if (++ticks === 3) break;
        }
        await waitFor(
          "podman to close the log request",
          () => socketCount(service.pid) === baseline,
        );
      },
    );

    await t.step(
      "logs() closes its HTTP request when its signal aborts",
      async () => {
        await using own = new PodmanClient(service.socketPath);
        const baseline = socketCount(service.pid);
        const controller = new AbortController();
        const reason = new Error("stop now");
        await assert.rejects(
          (async () => {
            for await (
              const _ of own.logs("ticker", {
                follow: true,
                tail: 0,
                signal: controller.signal,
              })
            ) {
              controller.abort(reason);
            }
          })(),
          (error) => error === reason,
        );
        await waitFor(
          "podman to close the log request",
          () => socketCount(service.pid) === baseline,
        );
      },
    );
  },
});

Deno.test({
  name:
    "PodmanClient.logs() of a missing or hidden container throws PodmanNotFoundError",
  ignore,
  fn: async () => {
    await using podman = await startPodman();
    const { service, image, client } = podman;
    await service.runContainer({
      name: "labelled",
      image,
      cmd: ["echo", "hi"],
      labels: { "harmony.fleet/device": "d1" },
    });
    await assert.rejects(collect(client.logs("ghost")), (error) => {
      assert.ok(error instanceof PodmanNotFoundError);
      assert.equal(error.status, 404);
      assert.equal(error.socket, service.socketPath);
      assert.match(
        error.endpoint,
        /^GET \/v4\.0\.0\/libpod\/containers\/ghost\/logs\?/,
      );
      assert.match(
        error.message,
        /^Cannot read the logs of container "ghost": no container with name or ID "ghost" found: no such container \(HTTP 404\) \(GET \/v4\.0\.0\/libpod\/containers\/ghost\/logs\?.* on ".*podman\.sock"\)$/,
      );
      return true;
    });
    await assert.rejects(
      collect(client.logs("labelled", { label: "harmony.fleet/device=d2" })),
      PodmanNotFoundError,
    );
    const { stdout } = await collect(
      client.logs("labelled", { label: "harmony.fleet/device=d1" }),
    );
    assert.equal(text(stdout), "hi\n");
  },
});

Deno.test({
  name:
    "PodmanClient.logs() with follow throws PodmanStreamError when podman dies mid-stream, never a quiet end",
  ignore,
  fn: async () => {
    await using podman = await startPodman();
    const { service, image, client } = podman;
    await service.runContainer({
      name: "ticker",
      image,
      cmd: ["sh", "-c", "while true; do echo tick; sleep 0.05; done"],
    });
    let ticks = 0;
    await assert.rejects(
      (async () => {
        for await (const _ of client.logs("ticker", { follow: true })) {
          if (++ticks === 3) Deno.kill(service.pid, "SIGKILL");
        }
      })(),
      (error) => {
        assert.ok(error instanceof PodmanStreamError, String(error));
        assert.match(
          error.message,
          /^Cannot read the logs of container "ticker": .+ \(GET \/v4\.0\.0\/libpod\/containers\/ticker\/logs\?.+ on ".+podman\.sock"\)$/,
        );
        return true;
      },
    );
  },
});
