import assert from "node:assert/strict";
import { InvalidDeviceIdError } from "../../contracts/mod.ts";
import {
  agentName,
  assertStackNamespace,
  isDns1123Label,
  MANAGED_BY_SELECTOR,
  stackLabels,
} from "./names.ts";

Deno.test("isDns1123Label() accepts lower-case alphanumerics and inner dashes up to 63 characters", () => {
  for (
    const name of ["a", "nats", "agent-vm-device-00", "x".repeat(63), "0a"]
  ) {
    assert.ok(isDns1123Label(name), name);
  }
  for (const name of ["", "-a", "a-", "A", "a_b", "a.b", "x".repeat(64)]) {
    assert.ok(!isDns1123Label(name), name);
  }
});

Deno.test("assertStackNamespace() accepts e2e-<8 hex> only", () => {
  assertStackNamespace("e2e-0123abcd");
  for (const bad of ["e2e-0123ABCD", "e2e-123", "default", "e2e-0123abcd0"]) {
    assert.throws(() => assertStackNamespace(bad), (error: unknown) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, new RegExp(JSON.stringify(bad)));
      return true;
    });
  }
});

Deno.test("agentName() is agent-<id> for DNS-safe ids and a distinct valid label otherwise", () => {
  assert.equal(
    agentName("vm-device-00-e2e-1a2b3c4d"),
    "agent-vm-device-00-e2e-1a2b3c4d",
  );
  const odd = [
    "Dev_A",
    "dev-a",
    "dev_a",
    "_x",
    "-",
    "_",
    "A".repeat(128),
    "a".repeat(128),
  ];
  const names = odd.map(agentName);
  for (const name of names) assert.ok(isDns1123Label(name), name);
  assert.equal(new Set(names).size, odd.length);
  assert.equal(agentName("Dev_A"), agentName("Dev_A"));
  assert.throws(() => agentName("a.b"), InvalidDeviceIdError);
});

Deno.test("stackLabels() marks the manager and the stack, and finds them with MANAGED_BY_SELECTOR", () => {
  const labels: Record<string, string> = stackLabels("e2e-1a2b3c4d", {
    "app.kubernetes.io/name": "nats",
  });
  const [key, value] = MANAGED_BY_SELECTOR.split("=");
  assert.equal(labels[key], value);
  assert.deepEqual(labels, {
    "app.kubernetes.io/managed-by": "harmony-fleet-e2e",
    "app.kubernetes.io/part-of": "harmony-fleet",
    "harmony-fleet/stack": "e2e-1a2b3c4d",
    "app.kubernetes.io/name": "nats",
  });
});
