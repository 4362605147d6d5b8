import assert from "node:assert/strict";
import {
  deviceLabelsProblem,
  labelKeyProblem,
  labelValueProblem,
  MAX_DEVICE_LABELS,
} from "./labels.ts";

Deno.test("labelKeyProblem() accepts Kubernetes-style keys", () => {
  for (
    const key of ["site", "role", "hw.rev", "a_b-c", "harmony.fleet/site", "x"]
  ) {
    assert.equal(labelKeyProblem(key), undefined, key);
  }
});

Deno.test("labelKeyProblem() rejects empty, spaced, wildcard and over-long keys", () => {
  for (
    const key of [
      "",
      "si te",
      "*",
      "site>",
      "-site",
      "site.",
      "a=b",
      "a,b",
      "UPPER.prefix/x",
      "/x",
      "p/",
      "x".repeat(64),
    ]
  ) {
    assert.equal(typeof labelKeyProblem(key), "string", key);
  }
});

Deno.test("labelValueProblem() accepts empty and label-like values, rejects the rest", () => {
  for (const value of ["", "berlin", "edge-01", "v1.2"]) {
    assert.equal(labelValueProblem(value), undefined, value);
  }
  for (const value of ["a b", "a,b", "a=b", "-x", "x".repeat(64), 5, true]) {
    assert.equal(typeof labelValueProblem(value), "string", String(value));
  }
});

Deno.test("deviceLabelsProblem() names the key at fault", () => {
  assert.equal(
    deviceLabelsProblem({ site: "berlin", role: "edge" }),
    undefined,
  );
  assert.equal(deviceLabelsProblem({}), undefined);
  assert.match(
    deviceLabelsProblem({ site: "a b" })!,
    /^label "site" has an invalid value "a b": /,
  );
  assert.match(
    deviceLabelsProblem({ "bad key": "x" })!,
    /^label key "bad key" is not valid: /,
  );
  assert.match(
    deviceLabelsProblem({ site: 3 })!,
    /^label "site" has an invalid value: it must be a string$/,
  );
  assert.match(deviceLabelsProblem(["x"])!, /must be an object/);
  const many = Object.fromEntries(
    Array.from({ length: MAX_DEVICE_LABELS + 1 }, (_, i) => [`k${i}`, "v"]),
  );
  assert.match(deviceLabelsProblem(many)!, /at most 64 labels/);
});
