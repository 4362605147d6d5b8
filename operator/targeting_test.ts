import assert from "node:assert/strict";
import {
  checkTargetSpec,
  globToRegExp,
  InvalidTargetError,
  isGlob,
  matchesLabels,
  needsKnownDevices,
  NoMatchingDevicesError,
  parseLabelSelector,
  resolveTargets,
  type TargetableDevice,
} from "./targeting.ts";

const KNOWN: TargetableDevice[] = [
  { id: "edge-02", labels: { site: "berlin", role: "edge" } },
  { id: "edge-01", labels: { site: "berlin", role: "edge" } },
  { id: "edge-10", labels: { site: "paris", role: "edge" } },
  { id: "core-01", labels: { site: "berlin", role: "core" } },
  { id: "lab-1", labels: {} },
];

Deno.test("isGlob() tells globs from device ids", () => {
  assert.equal(isGlob("edge-*"), true);
  assert.equal(isGlob("edge-0?"), true);
  assert.equal(isGlob("edge-[12]"), true);
  assert.equal(isGlob("edge-01"), false);
});

Deno.test("globToRegExp() matches whole ids with *, ?, sets, ranges and negated sets", () => {
  assert.equal(globToRegExp("edge-*").test("edge-01"), true);
  assert.equal(globToRegExp("edge-*").test("xedge-01"), false);
  assert.equal(globToRegExp("edge-0?").test("edge-01"), true);
  assert.equal(globToRegExp("edge-0?").test("edge-010"), false);
  assert.equal(globToRegExp("edge-[0-1]1").test("edge-11"), true);
  assert.equal(globToRegExp("edge-[!0]1").test("edge-01"), false);
  assert.equal(globToRegExp("edge-[^0]1").test("edge-11"), true);
  assert.equal(globToRegExp("a.b*").test("aXb"), false);
  const error = assert.throws(
    () => globToRegExp("edge-[0"),
    InvalidTargetError,
  );
  void error;
  assert.throws(() => globToRegExp("edge-[0"), {
    name: "InvalidTargetError",
    target: "edge-[0",
    message: /Invalid glob "edge-\[0": "\[" without its "\]"/,
  });
});

Deno.test("parseLabelSelector() reads =, ==, !=, key and !key, comma-separated", () => {
  assert.deepEqual(parseLabelSelector("site=berlin, role!=edge,tier==1"), [
    { key: "site", op: "=", value: "berlin" },
    { key: "role", op: "!=", value: "edge" },
    { key: "tier", op: "=", value: "1" },
  ]);
  assert.deepEqual(parseLabelSelector("gpu,!spare"), [
    { key: "gpu", op: "exists" },
    { key: "spare", op: "!exists" },
  ]);
  assert.deepEqual(parseLabelSelector("harmony.fleet/site="), [
    { key: "harmony.fleet/site", op: "=", value: "" },
  ]);
});

Deno.test("parseLabelSelector() throws InvalidTargetError quoting a malformed selector", () => {
  for (
    const [selector, problem] of [
      ["", /it is empty/],
      ["site=berlin,,role=edge", /between commas is empty/],
      ["=berlin", /label key ""/],
      ["site=a b", /value "a b"/],
      ["si te=x", /label key "si te"/],
    ] as const
  ) {
    assert.throws(() => parseLabelSelector(selector), InvalidTargetError);
    assert.throws(() => parseLabelSelector(selector), {
      target: selector,
      message: problem,
    });
  }
});

Deno.test("matchesLabels() treats != and !key as true for a device without the label, as Kubernetes does", () => {
  const reqs = parseLabelSelector("site=berlin,role!=core");
  assert.equal(matchesLabels({ site: "berlin", role: "edge" }, reqs), true);
  assert.equal(matchesLabels({ site: "berlin" }, reqs), true);
  assert.equal(matchesLabels({ site: "berlin", role: "core" }, reqs), false);
  assert.equal(matchesLabels({}, reqs), false);
  assert.equal(matchesLabels({}, parseLabelSelector("!gpu")), true);
  assert.equal(matchesLabels({ gpu: "" }, parseLabelSelector("gpu")), true);
});

Deno.test("resolveTargets() keeps explicit ids as given, known or not, without the registry", () => {
  const spec = { targets: ["ghost-1", "edge-01", "ghost-1"] };
  assert.equal(needsKnownDevices(spec), false);
  assert.deepEqual(resolveTargets(spec, []), ["ghost-1", "edge-01"]);
});

Deno.test("resolveTargets() expands a glob to the known devices it matches, sorted, where it stood", () => {
  const spec = { targets: ["lab-1", "edge-0*", "core-01"] };
  assert.equal(needsKnownDevices(spec), true);
  assert.deepEqual(resolveTargets(spec, KNOWN), [
    "lab-1",
    "edge-01",
    "edge-02",
    "core-01",
  ]);
});

Deno.test("resolveTargets() --all is every known device, sorted by id", () => {
  assert.deepEqual(resolveTargets({ targets: [], all: true }, KNOWN), [
    "core-01",
    "edge-01",
    "edge-02",
    "edge-10",
    "lab-1",
  ]);
});

Deno.test("resolveTargets() -l alone selects among known devices; with targets it narrows them", () => {
  assert.deepEqual(
    resolveTargets(
      { targets: [], selectors: ["site=berlin,role=edge"] },
      KNOWN,
    ),
    ["edge-01", "edge-02"],
  );
  assert.deepEqual(
    resolveTargets({ targets: [], selectors: ["role!=edge"] }, KNOWN),
    ["core-01", "lab-1"],
  );
  assert.deepEqual(
    resolveTargets({ targets: ["edge-*"], selectors: ["site=paris"] }, KNOWN),
    ["edge-10"],
  );
  assert.deepEqual(
    resolveTargets(
      { targets: [], all: true, selectors: ["site=berlin", "role=core"] },
      KNOWN,
    ),
    ["core-01"],
  );
});

Deno.test("resolveTargets() throws NoMatchingDevicesError naming the glob, selector or --all that matched nothing", () => {
  assert.throws(
    () => resolveTargets({ targets: ["edge-01", "gw-*"] }, KNOWN),
    NoMatchingDevicesError,
  );
  assert.throws(() => resolveTargets({ targets: ["gw-*"] }, KNOWN), {
    pattern: "gw-*",
    kind: "glob",
    message: 'No known device matches "gw-*"',
  });
  assert.throws(
    () => resolveTargets({ targets: [], selectors: ["site=oslo"] }, KNOWN),
    { pattern: "site=oslo", kind: "selector", message: /"site=oslo"/ },
  );
  assert.throws(() => resolveTargets({ targets: [], all: true }, []), {
    name: "NoMatchingDevicesError",
    pattern: "--all",
    kind: "all",
  });
  assert.throws(
    () => resolveTargets({ targets: [], selectors: ["site=berlin"] }, []),
    { name: "NoMatchingDevicesError", pattern: "site=berlin" },
  );
});

Deno.test("checkTargetSpec() throws InvalidTargetError for nothing targeted, --all with ids, a bad id", () => {
  assert.throws(() => checkTargetSpec({ targets: [] }), InvalidTargetError);
  assert.throws(() => checkTargetSpec({ targets: [] }), {
    target: "",
    message: /No devices named/,
  });
  assert.throws(() => checkTargetSpec({ targets: ["d1"], all: true }), {
    name: "InvalidTargetError",
    target: "d1",
    message: /--all takes no device ids/,
  });
  assert.throws(() => checkTargetSpec({ targets: ["a.b"] }), {
    name: "InvalidTargetError",
    target: "a.b",
    message: /^Invalid device id "a\.b"/,
  });
});
