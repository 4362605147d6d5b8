import assert from "node:assert/strict";
import {
  DeviceIdMismatchError,
  encodeJson,
  type PayloadError,
} from "../contracts/mod.ts";
import { connect } from "../nats/mod.ts";
import { AgentNotReadyError, waitForAgent } from "./_agent_ready.ts";
import {
  AgentProcess,
  NatsServerProcess,
  pickFreePort,
  tempDir,
  waitFor,
} from "../testing/mod.ts";

const beatOf = (deviceId: string) => ({
  device_id: deviceId,
  agent_version: "0.1.0",
  uptime_s: 1,
  runtime: "disabled",
  ts: new Date().toISOString(),
});

/** An agent that never connects: its server URL has nobody listening. */
function unreachableAgent(dir: string): Promise<AgentProcess> {
  return AgentProcess.start({
    deviceId: "dev-a",
    servers: `nats://127.0.0.1:${pickFreePort()}`,
    credentials: { user: "device-dev-a", password: "pw" },
    dir,
  });
}

Deno.test("waitForAgent() does not count a heartbeat forged on the device's subject, and flags it", async () => {
  await using server = await NatsServerProcess.start();
  await using dir = await tempDir("fleet-agent-ready-test-");
  await using agent = await unreachableAgent(dir.path);
  const nc = await connect({ servers: server.url });
  try {
    const flagged: PayloadError[] = [];
    const giveUp = new AbortController();
    const waiting = waitForAgent(nc, agent, {
      timeoutMs: 60_000,
      signal: giveUp.signal,
      onBadHeartbeat: (error) => flagged.push(error),
    });
    // The admin publishes device B's heartbeat on A's subject.
    nc.publish("device-heartbeat.dev-a", encodeJson(beatOf("dev-b")));
    await waitFor(
      "the forged heartbeat to be flagged",
      () => flagged.length > 0,
    );
    giveUp.abort(new Error("test over"));
    await assert.rejects(waiting, (error) => {
      assert.ok(error instanceof AgentNotReadyError);
      assert.equal(error.deviceId, "dev-a");
      assert.match(
        error.message,
        /^Stopped waiting for the agent of device "dev-a"/,
      );
      assert.ok(
        error.message.includes(
          'ignored 1 heartbeat: Heartbeat on "device-heartbeat.dev-a" is for device "dev-a", but its body says "device_id": "dev-b"',
        ),
        error.message,
      );
      return true;
    });
    assert.equal(flagged.length, 1);
    assert.ok(flagged[0] instanceof DeviceIdMismatchError);
    assert.equal(flagged[0].claimedDeviceId, "dev-b");
  } finally {
    await nc.close();
  }
});

Deno.test("waitForAgent() does not count a ping reply that names another device", async () => {
  await using server = await NatsServerProcess.start();
  await using dir = await tempDir("fleet-agent-ready-test-");
  await using agent = await unreachableAgent(dir.path);
  const nc = await connect({ servers: server.url });
  try {
    let answered = 0;
    nc.subscribe("device-commands.dev-a.ping", {
      callback: (_error, msg) => {
        answered++;
        msg.respond(encodeJson(beatOf("dev-b")));
      },
    });
    await nc.flush();
    const giveUp = new AbortController();
    const waiting = waitForAgent(nc, agent, {
      timeoutMs: 60_000,
      signal: giveUp.signal,
    });
    await waitFor("two forged ping replies", () => answered >= 2);
    giveUp.abort(new Error("test over"));
    await assert.rejects(waiting, (error) => {
      assert.ok(error instanceof AgentNotReadyError);
      assert.match(
        error.message,
        /last error: ping reply field "device_id" is "dev-b", expected "dev-a"/,
      );
      return true;
    });
  } finally {
    await nc.close();
  }
});
