import assert from "node:assert/strict";
import { k3dGate } from "./_test_k3d_gate.ts";

Deno.test("k3dGate() is closed without HARMONY_FLEET_E2E=1, with a one-line reason", () => {
  assert.deepEqual(k3dGate({ PATH: "/usr/bin:/bin" }), {
    open: false,
    reason: "HARMONY_FLEET_E2E=1 is not set",
  });
  assert.equal(k3dGate({ HARMONY_FLEET_E2E: "0" }).open, false);
});

Deno.test("k3dGate() is closed without k3d or kubectl on PATH, naming what is missing", async () => {
  const dir = await Deno.makeTempDir();
  try {
    assert.deepEqual(k3dGate({ HARMONY_FLEET_E2E: "1", PATH: dir }), {
      open: false,
      reason: "k3d and kubectl not found on PATH",
    });
    await Deno.writeTextFile(`${dir}/kubectl`, "", { mode: 0o755 });
    assert.equal(
      k3dGate({ HARMONY_FLEET_E2E: "1", PATH: dir }).reason,
      "k3d not found on PATH",
    );
    await Deno.writeTextFile(`${dir}/k3d`, "", { mode: 0o755 });
    assert.deepEqual(k3dGate({ HARMONY_FLEET_E2E: "1", PATH: dir }), {
      open: true,
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("k3d tests are ignored here with a one-line reason (no HARMONY_FLEET_E2E, no k3d)", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "test",
      "-A",
      "--sanitize-ops",
      "--sanitize-resources",
      new URL("./stack_k3d_test.ts", import.meta.url).pathname,
    ],
    env: { HARMONY_FLEET_E2E: "" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) +
    new TextDecoder().decode(output.stderr);
  assert.equal(output.code, 0, text);
  assert.match(
    text,
    /\[e2e\] ignoring the k3d tests: HARMONY_FLEET_E2E=1 is not set\n/,
  );
  assert.match(text, /0 passed \| 0 failed \| \d+ ignored/);
});
