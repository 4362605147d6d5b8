import { decodeHeartbeat } from "./codecs.ts";
import { deviceIdProblem } from "./device_id.ts";
import type { Heartbeat } from "./messages.ts";
import { PayloadError } from "./payload_error.ts";
import { HEARTBEAT_SUBJECT_PREFIX } from "./subjects.ts";

/**
 * Thrown by {@linkcode decodeHeartbeatMessage} when a heartbeat's body names
 * another device than its subject: a device (or anyone allowed to publish on
 * that subject) claiming to be someone else. The subject is the one to
 * trust; permissions let a device publish only on its own.
 *
 * @example
 * ```ts
 * import {
 *   decodeHeartbeatMessage,
 *   DeviceIdMismatchError,
 *   encodeJson,
 * } from "@harmony/fleet/contracts";
 * try {
 *   decodeHeartbeatMessage("device-heartbeat.a", encodeJson({
 *     device_id: "b", agent_version: "0.1.0", uptime_s: 1,
 *     runtime: "disabled", ts: "2026-11-27T18:00:00Z",
 *   }));
 * } catch (error) {
 *   if (error instanceof DeviceIdMismatchError) {
 *     console.log(error.deviceId, error.claimedDeviceId); // "a" "b"
 *   }
 * }
 * ```
 */
export class DeviceIdMismatchError extends PayloadError {
  /** The subject the message came on. */
  readonly subject: string;
  /** The device the subject names: the one that sent it. */
  readonly deviceId: string;
  /** The device the body claims. */
  readonly claimedDeviceId: string;

  /** Builds the error; the message names the subject and both ids. */
  constructor(subject: string, deviceId: string, claimedDeviceId: string) {
    super(
      `Heartbeat on ${JSON.stringify(subject)} is for device ${
        JSON.stringify(deviceId)
      }, but its body says "device_id": ${JSON.stringify(claimedDeviceId)}`,
    );
    this.name = "DeviceIdMismatchError";
    this.subject = subject;
    this.deviceId = deviceId;
    this.claimedDeviceId = claimedDeviceId;
  }
}

/**
 * Decodes a heartbeat together with the subject it arrived on, as whatever
 * reads `device-heartbeat.>` must: the subject must be
 * `device-heartbeat.<valid device id>` and the body a well-formed
 * {@linkcode Heartbeat} whose `device_id` is that same device.
 *
 * @throws {DeviceIdMismatchError} when the body names another device.
 * @throws {PayloadError} when the subject is not a heartbeat subject or the
 * body is malformed.
 * @example
 * ```ts
 * import { decodeHeartbeatMessage, encodeJson } from "@harmony/fleet/contracts";
 * const beat = decodeHeartbeatMessage("device-heartbeat.d1", encodeJson({
 *   device_id: "d1", agent_version: "0.1.0", uptime_s: 1,
 *   runtime: "disabled", ts: "2026-11-27T18:00:00Z",
 * }));
 * beat.device_id; // "d1"
 * ```
 */
export function decodeHeartbeatMessage(
  subject: string,
  data: Uint8Array,
): Heartbeat {
  const deviceId = heartbeatSubjectDevice(subject);
  let beat: Heartbeat;
  try {
    beat = decodeHeartbeat(data);
  } catch (error) {
    throw new PayloadError(
      `Heartbeat on ${JSON.stringify(subject)}: ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (beat.device_id !== deviceId) {
    throw new DeviceIdMismatchError(subject, deviceId, beat.device_id);
  }
  return beat;
}

function heartbeatSubjectDevice(subject: string): string {
  const tokens = subject.split(".");
  if (tokens.length !== 2 || tokens[0] !== HEARTBEAT_SUBJECT_PREFIX) {
    throw new PayloadError(
      `Heartbeat subject ${
        JSON.stringify(subject)
      } is not "${HEARTBEAT_SUBJECT_PREFIX}.<device id>"`,
    );
  }
  const problem = deviceIdProblem(tokens[1]);
  if (problem !== undefined) {
    throw new PayloadError(
      `Heartbeat subject ${
        JSON.stringify(subject)
      } does not name a valid device id: ${problem}`,
    );
  }
  return tokens[1];
}
