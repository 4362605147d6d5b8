import assert from "node:assert/strict";
import { matchesLabel, parseContainerInfo } from "./container_info.ts";

Deno.test("parseContainerInfo() reads the fields the client reports", () => {
  const info = parseContainerInfo({
    Id: "f".repeat(64),
    Name: "/web",
    ImageName: "localhost/fleet-workload:1",
    Config: { Labels: { a: "b", n: 1 }, Tty: true },
    State: {
      Status: "exited",
      Running: false,
      Paused: false,
      Pid: 0,
      ExitCode: 3,
      StartedAt: "2026-11-28T07:57:31.89709714Z",
      FinishedAt: "0001-01-01T00:00:00Z",
    },
  });
  assert.deepEqual(info, {
    id: "f".repeat(64),
    name: "web",
    image: "localhost/fleet-workload:1",
    labels: { a: "b" },
    tty: true,
    state: {
      status: "exited",
      running: false,
      paused: false,
      pid: 0,
      exitCode: 3,
      startedAt: "2026-11-28T07:57:31.89709714Z",
      finishedAt: undefined,
    },
  });
});

Deno.test("parseContainerInfo() returns undefined for what is not an inspect answer", () => {
  for (const json of [null, [], "x", {}, { Id: "a" }, { Id: 1, State: {} }]) {
    assert.equal(parseContainerInfo(json), undefined);
  }
  assert.deepEqual(parseContainerInfo({ Id: "a", State: {} })?.labels, {});
});

Deno.test("matchesLabel() reads key=value and key as podman's label filter does", () => {
  const labels = { "harmony.fleet/device": "d1", empty: "", "x=y": "z" };
  assert.equal(matchesLabel(labels, "harmony.fleet/device=d1"), true);
  assert.equal(matchesLabel(labels, "harmony.fleet/device=d2"), false);
  assert.equal(matchesLabel(labels, "harmony.fleet/device=d1 "), false);
  assert.equal(matchesLabel(labels, "harmony.fleet/device"), true);
  assert.equal(matchesLabel(labels, "empty="), true);
  assert.equal(matchesLabel(labels, "empty"), true);
  assert.equal(matchesLabel(labels, "other"), false);
  assert.equal(matchesLabel(labels, "toString"), false);
  assert.throws(() => matchesLabel(labels, ""), TypeError);
  assert.throws(() => matchesLabel(labels, "=v"), /Invalid label filter "=v"/);
});
