import assert from "node:assert/strict";
import {
  assertDeviceId,
  deviceIdProblem,
  InvalidDeviceIdError,
  isDeviceId,
  MAX_DEVICE_ID_LENGTH,
} from "./device_id.ts";

const INVALID_IDS: ReadonlyArray<[string, unknown, RegExp]> = [
  ["empty", "", /empty/],
  ["a dot", "a.b", /"\."/],
  ["the single-token wildcard", "*", /"\*"/],
  ["the full wildcard", ">", /">"/],
  ["a wildcard inside", "dev*", /"\*"/],
  ["a space", "a b", /" "/],
  ["a tab", "a\tb", /"\\t"/],
  ["a newline", "a\nb", /"\\n"/],
  ["non-ASCII", "dévice", /"é"/],
  ["an emoji", "dev🚀", /"🚀"/],
  ["a slash", "a/b", /"\/"/],
  [
    "too long",
    "a".repeat(MAX_DEVICE_ID_LENGTH + 1),
    /129 characters; at most 128/,
  ],
  ["a number", 17, /expected a string, got number/],
  ["undefined", undefined, /expected a string, got undefined/],
  ["null", null, /expected a string, got object/],
];

for (const [what, value, reason] of INVALID_IDS) {
  Deno.test(`assertDeviceId() rejects ${what}`, () => {
    assert.equal(isDeviceId(value), false);
    assert.throws(() => assertDeviceId(value), (error: unknown) => {
      assert.ok(error instanceof InvalidDeviceIdError);
      assert.ok(error instanceof TypeError);
      assert.equal(error.name, "InvalidDeviceIdError");
      assert.equal(error.deviceId, value);
      assert.match(error.message, /^Invalid device id /);
      assert.match(error.message, reason);
      return true;
    });
  });
}

Deno.test("assertDeviceId() accepts letters, digits, '_' and '-' up to 128 characters", () => {
  for (
    const id of ["a", "vm-device-00", "A_b-9", "x".repeat(MAX_DEVICE_ID_LENGTH)]
  ) {
    assertDeviceId(id);
    assert.equal(isDeviceId(id), true);
    assert.equal(deviceIdProblem(id), undefined);
  }
});

Deno.test("InvalidDeviceIdError() quotes the rejected id in its message", () => {
  const error = new InvalidDeviceIdError("a b", 'contains " "');
  assert.equal(error.message, 'Invalid device id "a b": contains " "');
});
