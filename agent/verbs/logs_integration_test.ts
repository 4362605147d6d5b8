// The logs handler in a CommandServer on a real nats-server, reading a real
// podman service, compared with `podman logs` on the same storage.
import assert from "node:assert/strict";
import { deviceCommandSubject, EndReason } from "../../contracts/mod.ts";
import { PodmanClient } from "../../podman/mod.ts";
import { StreamRemoteError } from "../../nats/mod.ts";
import { waitFor } from "../../testing/mod.ts";
import { rawStream, withServer } from "../_test_server.ts";
import { logsHandler } from "./logs.ts";
import {
  collect,
  concat,
  DEVICE,
  ignore,
  LABEL,
  open,
  OTHER_DEVICE,
  remoteError,
  socketCount,
  startPodman,
  text,
} from "./_test_podman_verbs.ts";

// The sleeps give each line a time of its own (for since and until).
const MIXED = [
  'for i in 1 2 3 4 5 6 7 8 9 10; do echo "out $i"; sleep 0.01; echo "err $i" >&2; sleep 0.01; done',
  "printf 'no newline at the end'",
].join("; ");
const BINARY = String
  .raw`printf '\377\376\000\001\200 bin\n'; printf '\303\050\n' >&2; printf '\t\r\n'`;
const LINE = "0123456789abcdefghijklmnopqrstuvwxyz".repeat(3);
const BIG_BYTES = 20 * 1024 * 1024;

Deno.test({
  name: "logsHandler() through the command server against a real podman",
  ignore,
  fn: async (t) => {
    await using fixture = await startPodman();
    const { service, podman, run, cli } = fixture;
    await run("mixed", ["sh", "-c", MIXED]);
    await run("binary", ["sh", "-c", BINARY]);
    await run("big", ["sh", "-c", `yes '${LINE}' | head -c ${BIG_BYTES}`]);
    await run("theirs", ["echo", "not yours"], OTHER_DEVICE);
    await run("bare", ["echo", "no label"], null);
    await service.podman(["wait", "mixed", "binary", "big", "theirs", "bare"]);

    await withServer(async ({ operatorNc: nc, newServer, logs }) => {
      await using server = newServer(
        { logs: logsHandler({ podman, containerLabel: LABEL }) },
        { runtime: "podman" },
      );
      await server.start();
      const logsOf = (
        container: string,
        fields: Record<string, unknown> = {},
      ) => collect(nc, "logs", { container, ...fields });
      /** `podman logs <flags> <container>`, both outputs. */
      const podmanLogs = async (flags: string[], container: string) => {
        const { stdout, stderr } = await service.podman([
          "logs",
          ...flags,
          container,
        ]);
        return { stdout, stderr };
      };

      await t.step(
        "logs matches `podman logs` byte for byte, stdout and stderr apart, and ends eof",
        async () => {
          const ours = await logsOf("mixed", {});
          assert.deepEqual(ours.end, { reason: EndReason.Eof });
          const theirs = await podmanLogs([], "mixed");
          assert.equal(text(ours.stdout), text(theirs.stdout));
          assert.deepEqual(ours.stdout, theirs.stdout);
          assert.deepEqual(ours.stderr, theirs.stderr);
          assert.match(text(ours.stdout), /^out 1\n.*no newline at the end$/s);
        },
      );

      await t.step("logs with tail matches `podman logs --tail`", async () => {
        for (const tail of [0, 1, 3, 100]) {
          const ours = await logsOf("mixed", { tail });
          const theirs = await podmanLogs(["--tail", String(tail)], "mixed");
          assert.deepEqual(
            { stdout: ours.stdout, stderr: ours.stderr },
            theirs,
            `tail ${tail}`,
          );
        }
      });

      await t.step(
        "logs with timestamps matches `podman logs --timestamps`, fractions of seconds removed",
        async () => {
          const ours = await logsOf("mixed", { timestamps: true });
          const theirs = await podmanLogs(["--timestamps"], "mixed");
          // podman 4.3's API writes whole seconds where its CLI writes
          // nanoseconds (containers/podman#27691).
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
        "logs with since and until matches `podman logs --since --until`",
        async () => {
          const stamped = text(
            (await podmanLogs(["--timestamps"], "mixed")).stdout,
          )
            .split("\n");
          const since = stamped[3].split(" ")[0];
          const until = stamped[7].split(" ")[0];
          const future = new Date(Date.now() + 60_000).toISOString();
          for (
            const [fields, flags] of [
              [{ since }, ["--since", since]],
              [{ until }, ["--until", until]],
              [{ since, until }, ["--since", since, "--until", until]],
              // RFC 3339 allows lower-case t and z; podman (Go) does not.
              [{ since: since.toLowerCase() }, ["--since", since]],
              // A leap second (which podman refuses) as the last
              // millisecond of its minute.
              [{ since: "2016-12-31T23:59:60Z" }, []],
              [{ since: future }, ["--since", future]],
            ] as const
          ) {
            const ours = await logsOf("mixed", fields);
            const theirs = await podmanLogs([...flags], "mixed");
            assert.deepEqual(
              { stdout: ours.stdout, stderr: ours.stderr },
              theirs,
              JSON.stringify(fields),
            );
          }
          const window = await logsOf("mixed", { since, until });
          assert.match(text(window.stdout), /^out [45]\n.*out 7\n$/s);
        },
      );

      await t.step(
        "logs of stdout only and of stderr only match `podman logs`",
        async () => {
          const theirs = await podmanLogs([], "mixed");
          const stdoutOnly = await logsOf("mixed", { stderr: false });
          assert.deepEqual(stdoutOnly.stdout, theirs.stdout);
          assert.equal(stdoutOnly.stderr.length, 0);
          const stderrOnly = await logsOf("mixed", { stdout: false });
          assert.deepEqual(stderrOnly.stderr, theirs.stderr);
          assert.equal(stderrOnly.stdout.length, 0);
        },
      );

      await t.step(
        "logs passes binary (non-UTF-8) output byte for byte",
        async () => {
          const ours = await logsOf("binary");
          const theirs = await podmanLogs([], "binary");
          assert.deepEqual(
            { stdout: ours.stdout, stderr: ours.stderr },
            theirs,
          );
          assert.deepEqual(
            [...ours.stdout.subarray(0, 5)],
            [0xff, 0xfe, 0x00, 0x01, 0x80],
          );
          assert.deepEqual([...ours.stderr], [0xc3, 0x28, 0x0a]);
        },
      );

      await t.step(
        "logs reads a 20 MiB log whole, as `podman logs` does",
        async () => {
          const ours = await logsOf("big");
          assert.deepEqual(ours.end, { reason: EndReason.Eof });
          const theirs = await cli(["logs", "big"]);
          assert.equal(ours.stdout.length, BIG_BYTES);
          assert.ok(ours.stdout.every((byte, i) => byte === theirs[i]));
          assert.equal(ours.stdout.length, theirs.length);
          assert.equal(ours.stderr.length, 0);
        },
      );

      await t.step(
        "logs with follow delivers lines written after the request and ends eof when the container exits",
        async () => {
          const script = [
            "echo first",
            "while [ ! -e /tmp/go ]; do sleep 0.05; done",
            "echo after",
            "while [ ! -e /tmp/stop ]; do sleep 0.05; done",
            "echo bye >&2",
          ].join("; ");
          await run("follower", ["sh", "-c", script]);
          const reader = open(nc, "logs", {
            container: "follower",
            follow: true,
          });
          const seen: string[] = [];
          for await (const { stream, data } of reader) {
            const line = `${stream}:${text(data)}`;
            seen.push(line);
            if (line === "stdout:first\n") {
              await cli(["exec", "follower", "touch", "/tmp/go"]);
            }
            if (line === "stdout:after\n") {
              await cli(["exec", "follower", "touch", "/tmp/stop"]);
            }
          }
          assert.deepEqual(seen, [
            "stdout:first\n",
            "stdout:after\n",
            "stderr:bye\n",
          ]);
          assert.deepEqual(reader.end, { reason: EndReason.Eof });
        },
      );

      await t.step(
        "logs of a missing container, another device's or an unlabelled one is not_found, alike",
        async () => {
          for (const container of ["ghost", "theirs", "bare"]) {
            const error = await remoteError(logsOf(container));
            assert.ok(error instanceof StreamRemoteError);
            assert.equal(error.kind, "not_found");
            assert.equal(error.code, 404);
            assert.equal(
              error.remoteMessage,
              `Cannot read the logs of container "${container}" on device "${DEVICE}": no such container`,
            );
          }
        },
      );

      await t.step("every logs command is logged at info", () => {
        const lines = logs.filter((l) =>
          l.event === "command" && l.verb === "logs"
        );
        const big = lines.find((l) =>
          l.container === "big" && l.outcome === "ok"
        );
        assert.equal(big?.level, "info");
        assert.equal(big?.bytes, BIG_BYTES);
        assert.equal(big?.end, "eof");
        const ghost = lines.find((l) => l.container === "ghost");
        assert.equal(ghost?.outcome, "not_found");
        assert.equal(ghost?.level, "info");
      });
    });

    await withServer(async ({ operatorNc: nc, newServer }) => {
      await run("ticker", [
        "sh",
        "-c",
        "while true; do echo tick; sleep 0.05; done",
      ]);
      // A client of its own, without the label check (no inspect): its
      // only connection to podman is the log request.
      await using own = new PodmanClient(service.socketPath);
      await using server = newServer(
        { logs: logsHandler({ podman: own }) },
        { runtime: "podman", keepaliveTimeoutMs: 300 },
      );
      await server.start();
      const baseline = socketCount(service.pid);

      await t.step(
        "logs with follow ends cancelled on cancel, and the agent's podman log request is closed",
        async () => {
          const reader = open(nc, "logs", {
            container: "ticker",
            follow: true,
            tail: 0,
          });
          const iterator = reader[Symbol.asyncIterator]();
          await iterator.next();
          assert.ok(socketCount(service.pid) > baseline);
          assert.equal(await reader.cancel(), true);
          while (!(await iterator.next()).done) {
            // Lines sent before the end.
          }
          assert.deepEqual(reader.end, { reason: EndReason.Cancelled });
          await waitFor(
            "podman to close the agent's log request",
            () => socketCount(service.pid) === baseline,
          );
          assert.equal(server.openStreams, 0);
        },
      );

      await t.step(
        "logs with follow ends abandoned when no keepalive comes, and the podman log request is closed",
        async () => {
          const stream = rawStream(nc, deviceCommandSubject(DEVICE, "logs"), {
            verb: "logs",
            container: "ticker",
            follow: true,
            tail: 0,
          }, { requestId: "no-keepalive" });
          try {
            const end = await stream.terminal();
            assert.equal(end.msg.headers?.get("X-Harmony-End"), "abandoned");
            assert.ok(stream.data().length > 0);
            await waitFor(
              "podman to close the agent's log request",
              () => socketCount(service.pid) === baseline,
            );
          } finally {
            stream.close();
          }
        },
      );

      await t.step(
        "logs with follow and limit_bytes ends limit, cut exactly, and the podman log request is closed",
        async () => {
          const result = await collect(nc, "logs", {
            container: "ticker",
            follow: true,
            limit_bytes: 12,
          }, { follow: true });
          assert.deepEqual(result.end, { reason: EndReason.Limit });
          assert.equal(text(result.stdout), "tick\ntick\nti");
          await waitFor(
            "podman to close the agent's log request",
            () => socketCount(service.pid) === baseline,
          );
        },
      );

      await t.step(
        "logs with follow ends with an error reply, not quietly, when podman dies mid-stream",
        async () => {
          const reader = open(nc, "logs", {
            container: "ticker",
            follow: true,
          });
          const chunks: Uint8Array[] = [];
          const error = await remoteError((async () => {
            for await (const { data } of reader) {
              chunks.push(data);
              if (chunks.length === 1) Deno.kill(service.pid, "SIGKILL");
            }
          })());
          assert.equal(error.kind, "internal");
          assert.match(
            error.remoteMessage,
            new RegExp(
              `^Cannot read the logs of container "ticker" on device "${DEVICE}": the stream from podman broke: `,
            ),
          );
          assert.match(text(concat(chunks)), /^tick\n/);
        },
      );
    });
  },
});

Deno.test("logsHandler() without podman answers unsupported", async () => {
  await withServer(async ({ operatorNc: nc, newServer }) => {
    await using server = newServer({ logs: logsHandler() });
    await server.start();
    const error = await remoteError(
      collect(nc, "logs", { container: "web" }),
    );
    assert.equal(error.kind, "unsupported");
    assert.equal(error.code, 501);
    assert.equal(
      error.remoteMessage,
      `Verb "logs" is not available on device "${DEVICE}": its agent has no container runtime (runtime_enabled = false)`,
    );
  });
});
