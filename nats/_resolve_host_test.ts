import assert from "node:assert/strict";
import { resolveHost } from "./_resolve_host.ts";

Deno.test("resolveHost() gives the IPv4 addresses first, then the IPv6 ones", async () => {
  const addresses = await resolveHost("localhost");
  assert.ok(addresses.includes("127.0.0.1"), addresses.join(","));
  const v4 = addresses.filter((a) => !a.includes(":"));
  assert.deepEqual(addresses.slice(0, v4.length), v4);
});

Deno.test("resolveHost() gives back a name that does not resolve, for the dial to report", async () => {
  assert.deepEqual(await resolveHost("nats.does-not-exist.invalid"), [
    "nats.does-not-exist.invalid",
  ]);
});
