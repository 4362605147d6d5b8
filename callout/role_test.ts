import assert from "node:assert/strict";
import { devicePermissions, operatorPermissions } from "../contracts/mod.ts";
import { TokenRefusedError } from "./oidc_verifier.ts";
import { permissionsForRole, roleForSubject } from "./role.ts";

const options = { operatorSubjects: ["fleet-ops"] };

Deno.test("roleForSubject() maps device-<id> to the device and operator subjects to operators", () => {
  assert.deepEqual(roleForSubject("device-vm-device-00", options), {
    kind: "device",
    deviceId: "vm-device-00",
  });
  assert.deepEqual(roleForSubject("fleet-ops", options), { kind: "operator" });
});

Deno.test("roleForSubject() refuses wildcards, invalid ids and unknown subjects", () => {
  for (
    const subject of [
      "device-*",
      "device->",
      "device-",
      "device-a.b",
      "device-a b",
      `device-${"x".repeat(129)}`,
      "fleet-ops2",
      "FLEET-OPS",
      "",
    ]
  ) {
    assert.throws(
      () => roleForSubject(subject, options),
      (error) =>
        error instanceof TokenRefusedError &&
        error.reason === "subject_not_allowed",
      subject,
    );
  }
});

Deno.test("permissionsForRole() gives exactly the contracts' permissions", () => {
  assert.deepEqual(
    permissionsForRole({ kind: "device", deviceId: "d1" }),
    devicePermissions("d1"),
  );
  assert.deepEqual(
    permissionsForRole({ kind: "operator" }, { operatorInboxPrefix: "_I_ops" }),
    operatorPermissions({ inboxPrefix: "_I_ops" }),
  );
});
