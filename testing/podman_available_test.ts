import assert from "node:assert/strict";
import { ignoreWithoutPodman, podmanAvailable } from "./podman_available.ts";

Deno.test("podmanAvailable() names what is missing", () => {
  const missing = podmanAvailable({ podman: "/nonexistent/podman" });
  assert.equal(missing.ok, false);
  assert.match(
    missing.ok ? "" : missing.reason,
    /^podman "\/nonexistent\/podman" cannot be run: /,
  );
  const noRunc = podmanAvailable({ runc: ["/nonexistent/runc"] });
  if (podmanAvailable().ok) {
    assert.equal(noRunc.ok, false);
    assert.match(
      noRunc.ok ? "" : noRunc.reason,
      /^runc not found \(looked for "\/nonexistent\/runc"\)/,
    );
  }
});

Deno.test("ignoreWithoutPodman() ignores without podman, unless podman is required", () => {
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  const missing = { podman: "/nonexistent/podman", log };
  assert.equal(ignoreWithoutPodman({ ...missing, require: false }), true);
  assert.equal(lines.length, 1);
  assert.match(
    lines[0],
    /^podman tests ignored: podman "\/nonexistent\/podman" cannot be run: .*\(set FLEET_REQUIRE_PODMAN=1 to fail instead\)$/,
  );
  assert.equal(ignoreWithoutPodman({ ...missing, require: true }), false);
  assert.equal(lines.length, 1);
});
