import { assertDeviceId, isDeviceId } from "./device_id.ts";
import type { Verb } from "./verbs/mod.ts";

/** First token of every command subject. */
export const COMMAND_SUBJECT_PREFIX = "device-commands";
/** First token of every heartbeat subject. */
export const HEARTBEAT_SUBJECT_PREFIX = "device-heartbeat";

/**
 * The subject a command `verb` for `deviceId` is requested on:
 * `device-commands.<deviceId>.<verb>`. Throws `InvalidDeviceIdError` for an
 * invalid id, so a wildcard can never reach the wire.
 *
 * @example
 * ```ts
 * import { deviceCommandSubject, Verb } from "@harmony/fleet/contracts";
 * deviceCommandSubject("vm-device-00", Verb.Ping); // "device-commands.vm-device-00.ping"
 * ```
 */
export function deviceCommandSubject(deviceId: string, verb: Verb): string {
  assertDeviceId(deviceId);
  return `${COMMAND_SUBJECT_PREFIX}.${deviceId}.${verb}`;
}

/**
 * The subscription an agent makes to receive every command for `deviceId`:
 * `device-commands.<deviceId>.>`.
 *
 * @example
 * ```ts
 * import { deviceCommandSubscription } from "@harmony/fleet/contracts";
 * deviceCommandSubscription("vm-device-00"); // "device-commands.vm-device-00.>"
 * ```
 */
export function deviceCommandSubscription(deviceId: string): string {
  assertDeviceId(deviceId);
  return `${COMMAND_SUBJECT_PREFIX}.${deviceId}.>`;
}

/**
 * The subject an agent publishes its heartbeat on: `device-heartbeat.<deviceId>`.
 *
 * @example
 * ```ts
 * import { deviceHeartbeatSubject } from "@harmony/fleet/contracts";
 * deviceHeartbeatSubject("vm-device-00"); // "device-heartbeat.vm-device-00"
 * ```
 */
export function deviceHeartbeatSubject(deviceId: string): string {
  assertDeviceId(deviceId);
  return `${HEARTBEAT_SUBJECT_PREFIX}.${deviceId}`;
}

/** A command subject taken apart by {@linkcode parseDeviceCommandSubject}. */
export interface DeviceCommandSubjectParts {
  /** The device the command is for. */
  deviceId: string;
  /** Everything after the device id, e.g. `"ping"`; not checked against {@linkcode Verb}. */
  verb: string;
}

/**
 * Splits `device-commands.<id>.<verb...>` into its parts, or returns
 * `undefined` when `subject` is not a command subject.
 *
 * @example
 * ```ts
 * import { parseDeviceCommandSubject } from "@harmony/fleet/contracts";
 * parseDeviceCommandSubject("device-commands.d1.ping"); // { deviceId: "d1", verb: "ping" }
 * ```
 */
export function parseDeviceCommandSubject(
  subject: string,
): DeviceCommandSubjectParts | undefined {
  const [prefix, deviceId, ...rest] = subject.split(".");
  if (prefix !== COMMAND_SUBJECT_PREFIX || !deviceId || rest.length === 0) {
    return undefined;
  }
  return { deviceId, verb: rest.join(".") };
}

/**
 * The device id of a heartbeat subject, `device-heartbeat.<id>`, or
 * `undefined` when `subject` is not exactly that with a valid id. The
 * subject is what permissions enforce (a device may publish only on its
 * own), so it, not the body, says whose heartbeat it is.
 *
 * @example
 * ```ts
 * import { parseDeviceHeartbeatSubject } from "@harmony/fleet/contracts";
 * parseDeviceHeartbeatSubject("device-heartbeat.d1"); // "d1"
 * parseDeviceHeartbeatSubject("device-heartbeat.>"); // undefined
 * ```
 */
export function parseDeviceHeartbeatSubject(
  subject: string,
): string | undefined {
  const [prefix, deviceId, ...rest] = subject.split(".");
  if (prefix !== HEARTBEAT_SUBJECT_PREFIX || rest.length > 0) return undefined;
  return isDeviceId(deviceId) ? deviceId : undefined;
}
