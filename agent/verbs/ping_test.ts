import assert from "node:assert/strict";
import { decodePingReply, PACKAGE_VERSION } from "../../contracts/mod.ts";
import { pingHandler, pingReply } from "./ping.ts";
import type { CommandContext } from "../handler.ts";

const CONTEXT = {} as CommandContext;

Deno.test("pingHandler() answers the encoded ping reply, uptime in whole seconds", () => {
  const startedAt = performance.now() - 5_500;
  const handler = pingHandler({
    deviceId: "d1",
    runtime: "disabled",
    startedAt,
  });
  const body = handler(CONTEXT);
  assert.ok(body instanceof Uint8Array);
  const reply = decodePingReply(body);
  assert.equal(reply.device_id, "d1");
  assert.equal(reply.agent_version, PACKAGE_VERSION);
  assert.equal(reply.runtime, "disabled");
  assert.ok(reply.uptime_s >= 5 && reply.uptime_s <= 6, String(reply.uptime_s));
  assert.deepEqual(
    Object.keys(JSON.parse(new TextDecoder().decode(body))),
    ["device_id", "agent_version", "uptime_s", "runtime"],
  );
});

Deno.test("pingHandler() follows the uptime: a later second gives a new reply", () => {
  const identity = {
    deviceId: "d1",
    runtime: "podman" as const,
    startedAt: performance.now(),
  };
  const handler = pingHandler(identity);
  assert.equal(decodePingReply(handler(CONTEXT) as Uint8Array).uptime_s, 0);
  identity.startedAt -= 3_000;
  assert.equal(decodePingReply(handler(CONTEXT) as Uint8Array).uptime_s, 3);
  assert.equal(pingReply(identity).uptime_s, 3);
});
