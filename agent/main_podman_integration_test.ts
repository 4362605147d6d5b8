// The real agent process (`agent/main.ts --config`) with a `[runtime]` socket
// and container_label and an `[exec]` policy, on a real podman service and a
// real nats-server: logs and exec of its own containers, the policy, the
// command log, and the startup error for a socket that does not answer.
import assert from "node:assert/strict";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/nats-core";
import { headers as natsHeaders } from "@nats-io/nats-core";
import { connect } from "../nats/mod.ts";
import {
  decodePingReply,
  deviceCommandSubject,
  encodeBase64,
  EndReason,
  Header,
} from "../contracts/mod.ts";
import {
  NatsServerProcess,
  processesMentioning,
  renderAgentConfig,
  tempDir,
  TEST_ADMIN,
  waitFor,
} from "../testing/mod.ts";
import { MainProcess } from "./_test_main_process.ts";
import {
  collect,
  DEVICE,
  ignore,
  LABEL,
  open,
  OTHER_DEVICE,
  type PodmanFixture,
  remoteError,
  startPodman,
  text,
} from "./verbs/_test_podman_verbs.ts";

const CREDENTIALS = { user: `device-${DEVICE}`, password: "device-pw" };

interface Agent {
  nc: NatsConnection;
  agentProcess: MainProcess;
}

/**
 * Runs `fn` with an agent process of DEVICE whose config ends with `extra`
 * (TOML tables), connected to a fresh nats-server, and an admin connection.
 */
async function withAgent(
  extra: string,
  fn: (agent: Agent) => Promise<void>,
  options: { runtimeEnabled?: boolean } = {},
): Promise<void> {
  await using nats = await NatsServerProcess.start({
    config: {
      admin: TEST_ADMIN,
      devices: [{ deviceId: DEVICE, ...CREDENTIALS }],
    },
  });
  await using dir = await tempDir("agent-podman-test-");
  const configPath = join(dir.path, "agent.toml");
  await Deno.writeTextFile(
    configPath,
    renderAgentConfig({
      deviceId: DEVICE,
      servers: nats.url,
      credentials: CREDENTIALS,
      runtimeEnabled: options.runtimeEnabled ?? true,
    }) + extra,
  );
  await using agentProcess = MainProcess.start(configPath);
  await agentProcess.waitForEvent("ready");
  const nc = await connect({
    servers: nats.url,
    user: TEST_ADMIN.user,
    pass: TEST_ADMIN.password,
  });
  let exited = false;
  agentProcess.exited.then(() => exited = true);
  try {
    await fn({ nc, agentProcess });
    if (!exited) agentProcess.signalGroup("SIGTERM");
    assert.equal((await agentProcess.exit()).code, 0);
  } finally {
    await nc.close();
  }
}

function runtimeTable(fixture: PodmanFixture): string {
  return `
[runtime]
socket = "unix://${fixture.service.socketPath}"
container_label = "${LABEL}"
`;
}

async function ping(nc: NatsConnection) {
  const headers = natsHeaders();
  headers.set(Header.RequestId, crypto.randomUUID());
  const reply = await nc.request(deviceCommandSubject(DEVICE, "ping"), "", {
    timeout: 5000,
    headers,
  });
  return decodePingReply(reply.data);
}

Deno.test({
  name:
    "agent/main.ts with a [runtime] socket and container_label, on a real podman",
  ignore,
  fn: async (t) => {
    await using fixture = await startPodman();
    const { service, run } = fixture;
    await run("web", [
      "sh",
      "-c",
      "echo hello; echo oops >&2; exec sleep 3600",
    ]);
    await run("theirs", ["sleep", "3600"], OTHER_DEVICE);
    await run("stopped", ["true"]);
    await service.podman(["wait", "stopped"]);
    await waitFor(
      "web's first lines",
      async () =>
        text((await service.podman(["logs", "web"])).stdout) === "hello\n",
    );

    await t.step(
      "serves logs and exec of its own containers, not_found for others, conflict for a stopped one, host exec forbidden by default",
      async () => {
        await withAgent(runtimeTable(fixture), async ({ nc, agentProcess }) => {
          const ready = agentProcess.events().find((e) => e.event === "ready");
          assert.equal(ready?.podman_socket, service.socketPath);
          assert.equal(ready?.container_label, LABEL);
          assert.equal(ready?.exec_enabled, true);
          assert.equal(ready?.exec_allow_host, false);
          assert.equal((await ping(nc)).runtime, "podman");

          const logs = await collect(nc, "logs", { container: "web" });
          const theirs = await service.podman(["logs", "web"]);
          assert.deepEqual(logs.stdout, theirs.stdout);
          assert.deepEqual(logs.stderr, theirs.stderr);
          assert.deepEqual(logs.end, { reason: EndReason.Eof });

          const exec = await collect(nc, "exec", {
            container: "web",
            cmd: ["sh", "-c", "cat; echo $FLEET_X >&2; exit 3"],
            stdin: encodeBase64(new TextEncoder().encode("stdin-secret-77\n")),
            env: { FLEET_X: "env-secret-88" },
          }, { requestId: "exec-1", operatorSub: "alice@example" });
          assert.deepEqual(exec.end, { reason: EndReason.Eof, exitCode: 3 });
          assert.equal(text(exec.stdout), "stdin-secret-77\n");
          assert.equal(text(exec.stderr), "env-secret-88\n");

          for (const container of ["theirs", "ghost"]) {
            assert.equal(
              (await remoteError(collect(nc, "logs", { container }))).kind,
              "not_found",
            );
            assert.equal(
              (await remoteError(
                collect(nc, "exec", { container, cmd: ["true"] }),
              )).kind,
              "not_found",
            );
          }
          assert.equal(
            (await remoteError(
              collect(nc, "exec", { container: "stopped", cmd: ["true"] }),
            )).kind,
            "conflict",
          );
          assert.equal(
            (await remoteError(
              collect(nc, "exec", { host: true, cmd: ["true"] }),
            )).kind,
            "forbidden",
          );

          const line = await waitFor(
            "exec's command line",
            () =>
              agentProcess.events().find((e) =>
                e.event === "command" && e.request_id === "exec-1"
              ),
          );
          assert.equal(line.level, "info");
          assert.equal(line.verb, "exec");
          assert.equal(line.container, "web");
          assert.deepEqual(line.argv, [
            "sh",
            "-c",
            "cat; echo $FLEET_X >&2; exit 3",
          ]);
          assert.equal(line.operator_sub, "alice@example");
          assert.equal(line.outcome, "ok");
          assert.equal(line.exit_code, 3);
          assert.equal(line.end, "eof");
          assert.equal(line.bytes, 30);
          assert.deepEqual(line.env_names, ["FLEET_X"]);
          const commands = agentProcess.events().filter((e) =>
            e.event === "command"
          );
          assert.ok(
            commands.some((e) =>
              e.verb === "logs" && e.container === "web" && e.end === "eof" &&
              e.level === "info"
            ),
          );
          assert.ok(
            commands.some((e) =>
              e.verb === "logs" && e.container === "theirs" &&
              e.outcome === "not_found"
            ),
          );
          assert.ok(!agentProcess.stderr.includes("stdin-secret-77"));
          assert.ok(!agentProcess.stderr.includes("env-secret-88"));
        });
      },
    );

    await t.step(
      "SIGTERM ends an open exec stream cancelled and kills its command before the agent exits 0",
      async () => {
        await withAgent(runtimeTable(fixture), async ({ nc, agentProcess }) => {
          const marker = `3600.${
            crypto.getRandomValues(new Uint32Array(1))[0]
          }`;
          const reader = open(nc, "exec", {
            container: "web",
            cmd: ["sh", "-c", `echo started; sleep ${marker}`],
          });
          const iterator = reader[Symbol.asyncIterator]();
          await iterator.next();
          await waitFor(
            "the sleep",
            () => processesMentioning(marker).length > 0,
          );
          agentProcess.signalGroup("SIGTERM");
          while (!(await iterator.next()).done) {
            // Nothing more is expected.
          }
          assert.deepEqual(reader.end, { reason: EndReason.Cancelled });
          assert.equal((await agentProcess.exit()).code, 0);
          await waitFor(
            "the sleep to be gone",
            () => processesMentioning(marker).length === 0,
          );
        });
      },
    );

    await t.step(
      "[exec] enabled = false forbids container exec; allow_host = true runs host exec and kills it on the deadline",
      async () => {
        const policy = "\n[exec]\nenabled = false\nallow_host = true\n";
        await withAgent(runtimeTable(fixture) + policy, async ({ nc }) => {
          assert.equal(
            (await remoteError(
              collect(nc, "exec", { container: "web", cmd: ["true"] }),
            )).kind,
            "forbidden",
          );
          const host = await collect(nc, "exec", {
            host: true,
            cmd: ["sh", "-c", "echo $$; exit 5"],
          });
          assert.deepEqual(host.end, { reason: EndReason.Eof, exitCode: 5 });
          const marker = `3600.${
            crypto.getRandomValues(new Uint32Array(1))[0]
          }`;
          const stopped = await collect(nc, "exec", {
            host: true,
            cmd: ["sh", "-c", `sleep ${marker} & sleep ${marker}`],
          }, { deadlineMs: 1000 });
          assert.deepEqual(stopped.end, { reason: EndReason.Deadline });
          await waitFor(
            "no agentProcess left",
            () => processesMentioning(marker).length === 0,
          );
        });
      },
    );

    await t.step(
      "runtime_enabled = false: logs and container exec unsupported, host exec still runs when allowed",
      async () => {
        await withAgent(
          "\n[exec]\nallow_host = true\n",
          async ({ nc }) => {
            assert.equal((await ping(nc)).runtime, "disabled");
            assert.equal(
              (await remoteError(collect(nc, "logs", { container: "web" })))
                .kind,
              "unsupported",
            );
            assert.equal(
              (await remoteError(
                collect(nc, "exec", { container: "web", cmd: ["true"] }),
              )).kind,
              "unsupported",
            );
            const host = await collect(nc, "exec", {
              host: true,
              cmd: ["echo", "on the host"],
            });
            assert.equal(text(host.stdout), "on the host\n");
            assert.equal(host.end.exitCode, 0);
          },
          { runtimeEnabled: false },
        );
      },
    );
  },
});

Deno.test("agent/main.ts exits 2 naming [runtime] socket when it does not answer", async () => {
  await using dir = await tempDir("agent-podman-test-");
  const missing = join(dir.path, "missing.sock");
  const configPath = join(dir.path, "agent.toml");
  await Deno.writeTextFile(
    configPath,
    renderAgentConfig({
      deviceId: DEVICE,
      servers: "nats://127.0.0.1:1",
      credentials: CREDENTIALS,
      runtimeEnabled: true,
    }) + `\n[runtime]\nsocket = "missing.sock"\n`,
  );
  await using agentProcess = MainProcess.start(configPath);
  const { code } = await agentProcess.exit();
  assert.equal(code, 2);
  const event = agentProcess.events().find((e) =>
    e.event === "runtime_unavailable"
  );
  assert.deepEqual(event?.tried, [missing]);
  assert.ok(
    String(event?.message).includes(
      `${missing} ([runtime] socket): does not exist`,
    ),
    String(event?.message),
  );
  assert.match(String(event?.message), /set runtime_enabled = false/);
});
