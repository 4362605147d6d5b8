/** Longest device id the protocol accepts. */
export const MAX_DEVICE_ID_LENGTH = 128;

const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/**
 * Thrown when a string is not a valid device id. A `TypeError`, since it is
 * a bad argument: raised before any message is sent or subscription made.
 *
 * @example
 * ```ts
 * import { assertDeviceId, InvalidDeviceIdError } from "@harmony/fleet/contracts";
 * try {
 *   assertDeviceId("*");
 * } catch (error) {
 *   error instanceof InvalidDeviceIdError; // true
 * }
 * ```
 */
export class InvalidDeviceIdError extends TypeError {
  /** The rejected value, as given. */
  readonly deviceId: unknown;

  /** Builds the error for `deviceId`, saying why it was rejected. */
  constructor(deviceId: unknown, reason: string) {
    super(`Invalid device id ${describe(deviceId)}: ${reason}`);
    this.name = "InvalidDeviceIdError";
    this.deviceId = deviceId;
  }
}

/**
 * Why `value` is not a valid device id, or `undefined` when it is one.
 * Valid ids are 1–128 characters from `[A-Za-z0-9_-]`, so they can never be
 * a NATS wildcard (`*`, `>`) nor span subject tokens (`.`).
 *
 * @example
 * ```ts
 * import { deviceIdProblem } from "@harmony/fleet/contracts";
 * deviceIdProblem("vm-device-00"); // undefined
 * deviceIdProblem("a.b"); // "contains \".\"; allowed are A-Z, a-z, 0-9, \"_\" and \"-\""
 * ```
 */
export function deviceIdProblem(value: unknown): string | undefined {
  if (typeof value !== "string") {
    return `expected a string, got ${typeof value}`;
  }
  if (value.length === 0) return "it is empty";
  if (value.length > MAX_DEVICE_ID_LENGTH) {
    return `it has ${value.length} characters; at most ${MAX_DEVICE_ID_LENGTH} are allowed`;
  }
  if (DEVICE_ID_PATTERN.test(value)) return undefined;
  const bad = [...value].find((char) => !DEVICE_ID_PATTERN.test(char))!;
  return `contains ${
    JSON.stringify(bad)
  }; allowed are A-Z, a-z, 0-9, "_" and "-"`;
}

/**
 * Whether `value` is a valid device id.
 *
 * @example
 * ```ts
 * import { isDeviceId } from "@harmony/fleet/contracts";
 * isDeviceId("vm-device-00"); // true
 * isDeviceId(">"); // false
 * ```
 */
export function isDeviceId(value: unknown): value is string {
  return deviceIdProblem(value) === undefined;
}

/**
 * Throws {@linkcode InvalidDeviceIdError} unless `value` is a valid device id.
 *
 * @example
 * ```ts
 * import { assertDeviceId } from "@harmony/fleet/contracts";
 * assertDeviceId("vm-device-00"); // passes
 * ```
 */
export function assertDeviceId(value: unknown): asserts value is string {
  const problem = deviceIdProblem(value);
  if (problem !== undefined) throw new InvalidDeviceIdError(value, problem);
}

function describe(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}
