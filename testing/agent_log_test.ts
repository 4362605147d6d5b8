import assert from "node:assert/strict";
import { parseAgentLog } from "./agent_log.ts";

Deno.test("parseAgentLog() keeps the JSON lines that name an event", () => {
  const text = [
    '{"ts":"t","level":"info","event":"ready","device_id":"d1"}',
    "not json",
    '{"no":"event"}',
    '{"level":"warn","event":"nats_disconnected"}',
    "",
  ].join("\n");
  assert.deepEqual(parseAgentLog(text).map((line) => line.event), [
    "ready",
    "nats_disconnected",
  ]);
  assert.equal(parseAgentLog(text)[0].device_id, "d1");
});
