// An agent process (runAgent, as agent/main.ts runs it, with a test `logs`
// handler: `_test_stream_agent.ts`) with an open stream: a real SIGTERM
// ends it `cancelled` before the agent exits 0; a consumer that breaks out
// cancels it on the agent.
import assert from "node:assert/strict";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect, requestStream } from "../nats/mod.ts";
import { deviceCommandSubject, encodeJson } from "../contracts/mod.ts";
import {
  agentEvents,
  AgentProcess,
  NatsServerProcess,
  tempDir,
  TEST_ADMIN,
  waitForAgentEvent,
} from "../testing/mod.ts";

const DEVICE = "stream-dev-1";
const CREDENTIALS = { user: `device-${DEVICE}`, password: "device-pw" };
const ENTRY = new URL("./_test_stream_agent.ts", import.meta.url);

async function withAgent(
  fn: (nc: NatsConnection, agent: AgentProcess) => Promise<void>,
): Promise<void> {
  await using nats = await NatsServerProcess.start({
    config: {
      admin: TEST_ADMIN,
      devices: [{ deviceId: DEVICE, ...CREDENTIALS }],
    },
  });
  await using dir = await tempDir("agent-stream-test-");
  await using agent = await AgentProcess.start({
    deviceId: DEVICE,
    credentials: CREDENTIALS,
    dir: dir.path,
    servers: nats.url,
    entry: ENTRY,
  });
  await waitForAgentEvent(agent, "ready");
  const nc = await connect({
    servers: nats.url,
    user: TEST_ADMIN.user,
    pass: TEST_ADMIN.password,
  });
  try {
    await fn(nc, agent);
  } finally {
    await nc.close();
  }
}

function follow(nc: NatsConnection, requestId: string) {
  return requestStream(
    nc,
    deviceCommandSubject(DEVICE, "logs"),
    encodeJson({ verb: "logs", container: "web", follow: true }),
    { deviceId: DEVICE, requestId, follow: true },
  );
}

Deno.test("agent process: SIGTERM ends an open stream cancelled, aborts its handler, then exits 0", async () => {
  await withAgent(async (nc, agent) => {
    const reader = follow(nc, "r-sigterm");
    const iterator = reader[Symbol.asyncIterator]();
    const first = await iterator.next();
    assert.equal(
      new TextDecoder().decode(first.done ? undefined : first.value.data),
      "line of web\n",
    );
    const status = await agent.stop("SIGTERM");
    assert.equal(status.code, 0);
    const last = await iterator.next();
    assert.deepEqual(last, { done: true, value: { reason: "cancelled" } });
    const events = await agentEvents(agent);
    const names = events.map((e) => e.event);
    assert.ok(
      names.indexOf("shutting_down") < names.indexOf("test_stream_aborted"),
    );
    assert.equal(names.at(-1), "stopped");
    const command = events.find((e) =>
      e.event === "command" && e.verb === "logs"
    );
    assert.equal(command?.end, "cancelled");
    assert.equal(command?.request_id, "r-sigterm");
    assert.equal(command?.bytes, 12);
  });
});

Deno.test("agent process: a consumer that breaks out of a stream cancels it on the agent", async () => {
  await withAgent(async (nc, agent) => {
    const reader = follow(nc, "r-break");
    for await (const chunk of reader) {
      assert.equal(chunk.stream, "stdout");
      break;
    }
    const aborted = await waitForAgentEvent(agent, "test_stream_aborted");
    assert.equal(aborted.request_id, "r-break");
    const events = await agentEvents(agent);
    assert.equal(
      events.find((e) => e.event === "command" && e.verb === "logs")?.end,
      "cancelled",
    );
    assert.ok(
      events.some((e) => e.event === "command" && e.verb === "cancel"),
    );
    assert.equal(reader.end, undefined);
  });
});
