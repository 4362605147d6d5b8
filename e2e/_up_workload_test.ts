import assert from "node:assert/strict";
import {
  parseUpArgs,
  UpUsageError,
  upWorkload,
  upWorkloadRuntime,
} from "./_up_workload.ts";

Deno.test("parseUpArgs() takes no argument, or --no-podman", () => {
  assert.deepEqual(parseUpArgs([]), { podman: true });
  assert.deepEqual(parseUpArgs(["--no-podman"]), { podman: false });
});

Deno.test("parseUpArgs() rejects anything else with UpUsageError naming it", () => {
  for (const args of [["--podman=no"], ["2"], ["--no-podman", "-x"]]) {
    assert.throws(() => parseUpArgs(args), (error) => {
      assert.ok(error instanceof UpUsageError);
      assert.equal(error.name, "UpUsageError");
      assert.match(
        error.message,
        /^Cannot run deno task up: unknown argument "/,
      );
      assert.match(error.message, /usage: deno task up \[--no-podman\]$/);
      return true;
    });
  }
});

Deno.test("upWorkloadRuntime() picks podman when podman, runc and busybox are there", () => {
  assert.deepEqual(
    upWorkloadRuntime({ podman: true }, {
      podman: { ok: true, version: "podman 4.3.1", runc: "runc 1.1" },
      busybox: true,
    }),
    { runtime: "podman" },
  );
});

Deno.test("upWorkloadRuntime() says why it runs without podman", () => {
  assert.deepEqual(
    upWorkloadRuntime({ podman: false }, {
      podman: { ok: true, version: "podman 4.3.1", runc: "runc 1.1" },
      busybox: true,
    }),
    {
      runtime: "disabled",
      note:
        "--no-podman: agents run without a container runtime (fleet logs and exec answer unsupported).",
    },
  );
  const missing = upWorkloadRuntime({ podman: true }, {
    podman: { ok: false, reason: 'podman "podman" cannot be run: not found' },
    busybox: true,
  });
  assert.equal(missing.runtime, "disabled");
  assert.match(
    missing.note ?? "",
    /^podman "podman" cannot be run: not found: agents run without a container runtime; for fleet logs and exec install podman, runc and busybox-static/,
  );
  const noBusybox = upWorkloadRuntime({ podman: true }, {
    podman: { ok: true, version: "podman 4.3.1", runc: "runc 1.1" },
    busybox: false,
  });
  assert.match(noBusybox.note ?? "", /^\/bin\/busybox is missing: /);
});

Deno.test("upWorkload() names one container per device and logs to both streams", () => {
  const web = upWorkload("vm-device-01-e2e-0123abcd", 1);
  assert.equal(web.name, "web-01");
  assert.deepEqual(web.env, { DEVICE: "vm-device-01-e2e-0123abcd" });
  assert.equal(web.cmd[0], "sh");
  assert.equal(web.cmd[1], "-c");
  assert.match(web.cmd[2], />&2/);
});
