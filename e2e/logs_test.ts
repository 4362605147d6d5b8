// `logs` end to end: real podman, real nats-server, real agent processes,
// the real client and CLI, through one Stack with podman (the agent-level
// tests check the byte-for-byte details; this proves the whole path).
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  type CommandStream,
  FleetCommandsClient,
  RemoteCommandError,
} from "../operator/mod.ts";
import {
  type AgentLogEvent,
  ignoreWithoutPodman,
  waitFor,
  waitForAgentEvent,
} from "../testing/mod.ts";
import { DenoChild, FLEET_CLI, stackEnv } from "./_test_deno_child.ts";
import { Stack } from "./stack.ts";

const decoder = new TextDecoder();
const MIB = 1024 * 1024;
/** The agent ends a follow stream without keepalive after 15 s. */
const ABANDONED_WITHIN_MS = 20_000;

const TICKER = [
  "sh",
  "-c",
  "i=0; while true; do i=$((i+1)); echo tick $i; sleep 1; done",
];

/** A whole stream's stdout and stderr. */
async function collect(stream: CommandStream) {
  const out: Uint8Array[] = [];
  const err: Uint8Array[] = [];
  for await (const { stream: name, data } of stream) {
    (name === "stdout" ? out : err).push(data);
  }
  return {
    stdout: new Uint8Array(Buffer.concat(out)),
    stderr: new Uint8Array(Buffer.concat(err)),
    end: stream.end,
  };
}

/** A `command` line of the agent for a logs stream matching `where`. */
function logsEnded(where: (event: AgentLogEvent) => boolean) {
  return (event: AgentLogEvent) => event.verb === "logs" && where(event);
}

Deno.test({
  name: "FleetCommandsClient.logs() and fleet logs through a stack with podman",
  ignore: ignoreWithoutPodman(),
  fn: async (t) => {
    await using stack = await Stack.bringUp({ devices: 2, runtime: "podman" });
    const [a, b] = stack.deviceIds;
    const agentA = stack.agent(a);
    const client = new FleetCommandsClient(stack.operatorClient, {
      timeoutMs: 30_000,
    });
    await Promise.all([
      stack.startContainer(a, { name: "ticker", cmd: TICKER }),
      stack.startContainer(a, { name: "clock", cmd: TICKER }),
      stack.startContainer(a, {
        name: "lines",
        cmd: [
          "sh",
          "-c",
          "for i in 1 2 3 4 5; do echo line $i; echo err $i >&2; done; exec sleep 3600",
        ],
      }),
      stack.startContainer(a, {
        name: "big",
        cmd: ["sh", "-c", `yes "$(printf %099d 7)" | head -c ${20 * MIB}`],
      }),
      stack.startContainer(a, {
        name: "binary",
        cmd: ["sh", "-c", "printf '\\377\\376\\000\\001 bin\\n\\200\\n'"],
      }),
      stack.startContainer(a, {
        name: "follow",
        cmd: [
          "sh",
          "-c",
          "echo start; while [ ! -e /tmp/stop ]; do sleep 0.1; done; echo bye",
        ],
      }),
      stack.startContainer(b, { name: "theirs", cmd: TICKER }),
    ]);

    // First, as it takes the agent 15 s to notice: a client that follows
    // a log and is killed (SIGKILL) sends no cancel and no more keepalives.
    let killedAt = 0;
    let abandonedId = "";
    {
      await using follower = new DenoChild(
        new URL("./_test_follow_logs.ts", import.meta.url).pathname,
        [a, "ticker"],
        stackEnv(stack),
      );
      const line = await waitFor(
        "the follower's first chunk",
        () => follower.stdout.split("\n").find((l) => l.startsWith("{")),
        { timeoutMs: 30_000 },
      );
      abandonedId = JSON.parse(line).request_id;
      follower.signalGroup("SIGKILL");
      killedAt = Date.now();
      assert.equal((await follower.exited()).signal, "SIGKILL");
    }

    await t.step(
      "tail, stdout only and stderr only: as podman logs gives them",
      async () => {
        await waitFor("all lines", async () => {
          const { stderr } = await stack.podman(["logs", "lines"]);
          return decoder.decode(stderr).includes("err 5");
        });
        for (
          const [options, flags] of [
            [{ tail: 3 }, ["--tail", "3"]],
            [{ stderr: false }, []],
            [{ stdout: false, tail: 2 }, ["--tail", "2"]],
          ] as const
        ) {
          const got = await collect(
            client.logs(a, { container: "lines", ...options }),
          );
          const want = await stack.podman(["logs", ...flags, "lines"]);
          assert.deepEqual(got.end, { reason: "eof" });
          assert.equal(
            decoder.decode(got.stdout),
            "stdout" in options ? "" : decoder.decode(want.stdout),
          );
          assert.equal(
            decoder.decode(got.stderr),
            "stderr" in options ? "" : decoder.decode(want.stderr),
          );
        }
      },
    );

    await t.step(
      "a 20 MiB log arrives whole, byte for byte",
      async () => {
        await stack.podman(["wait", "big"]);
        const got = await collect(client.logs(a, { container: "big" }));
        // What the container wrote: yes's 100-byte lines, cut at 20 MiB.
        const line = `${"0".repeat(98)}7\n`;
        const want = new TextEncoder().encode(
          line.repeat(Math.ceil(20 * MIB / line.length)).slice(0, 20 * MIB),
        );
        assert.equal(got.stdout.length, want.length);
        assert.ok(Buffer.from(got.stdout).equals(want));
        assert.equal(got.stderr.length, 0);
      },
    );

    await t.step(
      "binary (non-UTF-8) output arrives byte for byte",
      async () => {
        await stack.podman(["wait", "binary"]);
        const got = await collect(client.logs(a, { container: "binary" }));
        assert.deepEqual(
          [...got.stdout],
          [
            0xff,
            0xfe,
            0x00,
            0x01,
            ...new TextEncoder().encode(" bin\n"),
            0x80,
            10,
          ],
        );
      },
    );

    await t.step(
      "follow: lines written after the request arrive; eof when the container exits",
      async () => {
        const stream = client.logs(a, { container: "follow", follow: true });
        let text = "";
        for await (const { data } of stream) {
          text += decoder.decode(data);
          if (text === "start\n") {
            // Written into the container's stdout after the request came.
            const later = await client.exec(a, {
              container: "follow",
              cmd: ["sh", "-c", "echo later >/proc/1/fd/1"],
            });
            assert.equal(later.exitCode, 0, decoder.decode(later.stderr));
          } else if (text === "start\nlater\n") {
            await client.exec(a, {
              container: "follow",
              cmd: ["touch", "/tmp/stop"],
            });
          }
        }
        assert.equal(text, "start\nlater\nbye\n");
        assert.deepEqual(stream.end, { reason: "eof" });
        await waitForAgentEvent(agentA, "command", {
          where: logsEnded((e) =>
            e.request_id === stream.requestId && e.end === "eof"
          ),
        });
      },
    );

    await t.step(
      "breaking out of the loop ends the stream on the agent: cancelled",
      async () => {
        const stream = client.logs(a, { container: "lines", follow: true });
        for await (const { data } of stream) {
          assert.ok(data.length > 0);
          break;
        }
        await waitForAgentEvent(agentA, "command", {
          where: logsEnded((e) =>
            e.request_id === stream.requestId && e.end === "cancelled" &&
            e.container === "lines" && e.follow === true
          ),
        });
      },
    );

    await t.step("another device's container, or none: not_found", async () => {
      for (const container of ["theirs", "nothing"]) {
        await assert.rejects(
          collect(client.logs(a, { container })),
          (error) => {
            assert.ok(error instanceof RemoteCommandError, String(error));
            assert.equal(error.kind, "not_found");
            assert.equal(error.deviceId, a);
            return true;
          },
        );
      }
      const theirs = await collect(
        client.logs(b, { container: "theirs", tail: 1 }),
      );
      assert.match(decoder.decode(theirs.stdout), /^tick \d+\n$/);
    });

    await t.step(
      "fleet logs -f under a real Ctrl-C exits 130 and the stream ends cancelled on the agent",
      async () => {
        await using fleet = new DenoChild(
          FLEET_CLI,
          ["logs", a, "clock", "-f", "--no-context"],
          stackEnv(stack),
        );
        await waitFor(
          "fleet's first lines",
          () => /tick \d+\n/.test(fleet.stdout),
          {
            timeoutMs: 30_000,
          },
        );
        fleet.signalGroup("SIGINT");
        const status = await fleet.exited();
        assert.equal(status.code, 130, fleet.stderr);
        assert.match(fleet.stdout, /^(tick \d+\n)+$/);
        await waitForAgentEvent(agentA, "command", {
          where: logsEnded((e) =>
            e.container === "clock" && e.end === "cancelled"
          ),
        });
      },
    );

    await t.step(
      "a follower killed with SIGKILL: the agent ends its stream abandoned within 20 s",
      async () => {
        const event = await waitForAgentEvent(agentA, "command", {
          where: logsEnded((e) => e.request_id === abandonedId),
          timeoutMs: Math.max(0, killedAt + ABANDONED_WITHIN_MS - Date.now()),
        });
        assert.equal(event.end, "abandoned");
        assert.equal(event.container, "ticker");
      },
    );
  },
});
