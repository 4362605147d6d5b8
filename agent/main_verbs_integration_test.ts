// The real agent process (`agent/main.ts`): logs and exec requests that are
// malformed field by field get bad_request naming the field, with the
// stream headers, and the agent keeps serving; well-formed ones for a
// container the agent cannot serve answer unsupported (runtime disabled) or
// not_found (a real podman without it), and host exec forbidden (default
// policy).
import assert from "node:assert/strict";
import type { Msg, NatsConnection } from "@nats-io/nats-core";
import { headers as natsHeaders } from "@nats-io/nats-core";
import { connect } from "../nats/mod.ts";
import {
  decodeCancelReply,
  decodeErrorReply,
  decodePingReply,
  deviceCommandSubject,
  encodeBase64,
  Header,
  MAX_EXEC_CMD_BYTES,
  MAX_EXEC_STDIN_BYTES,
  type Verb,
} from "../contracts/mod.ts";
import {
  AgentProcess,
  ignoreWithoutPodman,
  NatsServerProcess,
  PodmanService,
  tempDir,
  TEST_ADMIN,
  waitForAgentEvent,
} from "../testing/mod.ts";

const DEVICE = "verbs-dev-1";
const CREDENTIALS = { user: `device-${DEVICE}`, password: "device-pw" };

async function withAgent(
  runtime: "disabled" | "podman",
  fn: (nc: NatsConnection) => Promise<void>,
): Promise<void> {
  await using nats = await NatsServerProcess.start({
    config: {
      admin: TEST_ADMIN,
      devices: [{ deviceId: DEVICE, ...CREDENTIALS }],
    },
  });
  await using dir = await tempDir("agent-verbs-test-");
  await using podman = runtime === "podman"
    ? await PodmanService.start()
    : undefined;
  await using agent = await AgentProcess.start({
    deviceId: DEVICE,
    credentials: CREDENTIALS,
    dir: dir.path,
    servers: nats.url,
    runtimeEnabled: podman !== undefined,
    env: podman === undefined
      ? {}
      : { CONTAINER_HOST: `unix://${podman.socketPath}` },
  });
  await waitForAgentEvent(agent, "ready");
  const nc = await connect({
    servers: nats.url,
    user: TEST_ADMIN.user,
    pass: TEST_ADMIN.password,
  });
  try {
    const ping = await request(nc, "ping", "");
    assert.equal(decodePingReply(ping.data).runtime, runtime);
    await fn(nc);
  } finally {
    await nc.close();
  }
}

function request(
  nc: NatsConnection,
  verb: string,
  body: unknown,
  requestId = "req-1",
): Promise<Msg> {
  const headers = natsHeaders();
  headers.set(Header.RequestId, requestId);
  return nc.request(
    deviceCommandSubject(DEVICE, verb as Verb),
    typeof body === "string" ? body : JSON.stringify(body),
    { timeout: 10_000, headers },
  );
}

function assertStreamError(
  msg: Msg,
  kind: string,
  code: number,
  message: RegExp,
): void {
  assert.equal(msg.headers?.get(Header.ServiceErrorCode), String(code));
  assert.equal(msg.headers?.get("X-Harmony-Seq"), "1");
  assert.equal(msg.headers?.get(Header.RequestId), "req-1");
  const reply = decodeErrorReply(msg.data);
  assert.equal(reply.kind, kind);
  assert.match(reply.message, message);
}

const LOGS = { verb: "logs", container: "web" };
const EXEC = { verb: "exec", container: "web", cmd: ["true"] };

const BAD_REQUESTS: ReadonlyArray<[string, unknown, RegExp]> = [
  ["logs", "{not json", /"logs" request is not valid JSON/],
  ["logs", "", /field "container" must be a string, got nothing/],
  [
    "logs",
    { ...LOGS, verb: "exec" },
    /field "verb" must match the subject's verb "logs", got "exec"/,
  ],
  [
    "logs",
    { ...LOGS, container: 7 },
    /field "container" must be a string, got a number/,
  ],
  ["logs", { ...LOGS, container: "" }, /field "container" must not be empty/],
  [
    "logs",
    { ...LOGS, tail: -1 },
    /field "tail" must be a non-negative integer, got -1/,
  ],
  [
    "logs",
    { ...LOGS, tail: "10" },
    /field "tail" must be a non-negative integer, got "10"/,
  ],
  [
    "logs",
    { ...LOGS, since: "10m" },
    /field "since" must be an RFC 3339 date-time/,
  ],
  [
    "logs",
    { ...LOGS, until: "tomorrow" },
    /field "until" must be an RFC 3339 date-time/,
  ],
  [
    "logs",
    { ...LOGS, timestamps: "yes" },
    /field "timestamps" must be true or false/,
  ],
  ["logs", { ...LOGS, follow: 1 }, /field "follow" must be true or false/],
  ["logs", { ...LOGS, stdout: "no" }, /field "stdout" must be true or false/],
  [
    "logs",
    { ...LOGS, stdout: false, stderr: false },
    /"stdout" and "stderr" must not both be false/,
  ],
  [
    "logs",
    { ...LOGS, limit_bytes: 0 },
    /field "limit_bytes" must be a positive integer, got 0/,
  ],
  ["exec", "[]", /"exec" request must be a JSON object, got an array/],
  [
    "exec",
    { ...EXEC, verb: "logs" },
    /field "verb" must match the subject's verb "exec"/,
  ],
  [
    "exec",
    { container: "web" },
    /field "cmd" must be an array of strings, got nothing/,
  ],
  ["exec", { ...EXEC, cmd: [] }, /field "cmd" must not be empty/],
  [
    "exec",
    { ...EXEC, cmd: "true" },
    /field "cmd" must be an array of strings, got "true"/,
  ],
  [
    "exec",
    { ...EXEC, cmd: ["echo", 1] },
    /field "cmd\[1\]" must be a string, got a number/,
  ],
  [
    "exec",
    { ...EXEC, cmd: ["x".repeat(MAX_EXEC_CMD_BYTES)] },
    /field "cmd" must total at most 65536 bytes/,
  ],
  [
    "exec",
    { cmd: ["true"] },
    /exactly one of field "container" or "host": true; got neither/,
  ],
  [
    "exec",
    { ...EXEC, host: true },
    /exactly one of field "container" or "host": true; got both/,
  ],
  ["exec", { ...EXEC, host: "yes" }, /field "host" must be true or false/],
  [
    "exec",
    { ...EXEC, env: { A: 1 } },
    /field "env\.A" must be a string, got a number/,
  ],
  ["exec", { ...EXEC, env: "A=1" }, /field "env" must be an object of strings/],
  [
    "exec",
    { ...EXEC, workdir: "tmp" },
    /field "workdir" must be an absolute path/,
  ],
  ["exec", { ...EXEC, stdin: "not base64!" }, /field "stdin" must be base64/],
  [
    "exec",
    { ...EXEC, stdin: encodeBase64(new Uint8Array(MAX_EXEC_STDIN_BYTES + 3)) },
    /field "stdin" must decode to at most 524288 bytes/,
  ],
  [
    "exec",
    { ...EXEC, limit_bytes: -1 },
    /field "limit_bytes" must be a positive integer, got -1/,
  ],
];

Deno.test("agent/main.ts answers bad_request naming the field for every malformed logs and exec field, and keeps serving", async () => {
  await withAgent("disabled", async (nc) => {
    for (const [verb, body, message] of BAD_REQUESTS) {
      const reply = await request(nc, verb, body);
      assert.equal(
        reply.headers?.get(Header.ServiceErrorCode),
        "400",
        `${verb} ${JSON.stringify(body).slice(0, 80)}`,
      );
      assertStreamError(
        reply,
        "bad_request",
        400,
        new RegExp(
          `^Bad "${verb}" request for device "${DEVICE}": .*${message.source}`,
        ),
      );
    }
    const ping = await request(nc, "ping", "");
    assert.equal(decodePingReply(ping.data).device_id, DEVICE);
  });
});

for (const runtime of ["disabled", "podman"] as const) {
  const container = runtime === "disabled"
    ? {
      kind: "unsupported",
      code: 501,
      message: (verb: string) =>
        `^Verb "${verb}" is not available on device "${DEVICE}": its agent has no container runtime`,
    }
    : {
      kind: "not_found",
      code: 404,
      message: (verb: string) =>
        `^Cannot ${
          verb === "logs" ? "read the logs of" : "exec in"
        } container "web" on device "${DEVICE}": no such container$`,
    };
  Deno.test({
    name:
      `agent/main.ts answers a well-formed logs or exec for a container ${container.kind} (runtime ${runtime}) and host exec forbidden, with the stream headers`,
    ignore: runtime === "podman" && ignoreWithoutPodman(),
    fn: async () => {
      await withAgent(runtime, async (nc) => {
        for (
          const [verb, body] of [
            ["logs", { ...LOGS, tail: 10, follow: true }],
            // null is an absent field: stderr keeps its default, true.
            ["logs", { ...LOGS, stdout: false, stderr: null, extra: 1 }],
            ["exec", EXEC],
          ] as const
        ) {
          assertStreamError(
            await request(nc, verb, body),
            container.kind,
            container.code,
            new RegExp(container.message(verb)),
          );
        }
        assertStreamError(
          await request(nc, "exec", { verb: "exec", host: true, cmd: ["id"] }),
          "forbidden",
          403,
          new RegExp(
            `^Host exec is not allowed on device "${DEVICE}" \\(its agent's \\[exec\\] allow_host = false\\)$`,
          ),
        );
        // Nothing is open to cancel.
        const cancel = await request(nc, "cancel", {
          verb: "cancel",
          request_id: "req-1",
        });
        assert.deepEqual(decodeCancelReply(cancel.data), {
          request_id: "req-1",
          found: false,
        });
      });
    },
  });
}
