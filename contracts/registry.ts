// The device registry: a JetStream stream over every heartbeat subject
// that keeps the last heartbeat of each device. Its name and the
// JetStream API subjects a reader needs are shared by the operator (which
// lists it), the harness (which creates it) and the permissions.
import { HEARTBEAT_SUBJECT_PREFIX } from "./subjects.ts";

/**
 * The name of the device registry stream: subjects `device-heartbeat.>`,
 * one message kept per subject (the last heartbeat of each device).
 *
 * @example
 * ```ts
 * import { DEVICE_REGISTRY_STREAM } from "@harmony/fleet/contracts";
 * DEVICE_REGISTRY_STREAM; // "FLEET_DEVICES"
 * ```
 */
export const DEVICE_REGISTRY_STREAM = "FLEET_DEVICES";

/**
 * The subjects the registry stream stores: every device's heartbeat.
 *
 * @example
 * ```ts
 * import { DEVICE_REGISTRY_SUBJECTS } from "@harmony/fleet/contracts";
 * DEVICE_REGISTRY_SUBJECTS; // ["device-heartbeat.>"]
 * ```
 */
export const DEVICE_REGISTRY_SUBJECTS: readonly string[] = Object.freeze([
  `${HEARTBEAT_SUBJECT_PREFIX}.>`,
]);

/**
 * The JetStream API subjects a client must be allowed to publish to (as
 * requests) to list the registry stream `stream`: read its info, create an
 * ephemeral consumer on it (delivering to the client's own inbox) and
 * delete that consumer. Nothing that changes or deletes the stream, and
 * nothing of any other stream.
 *
 * @example
 * ```ts
 * import { registryReaderApiSubjects } from "@harmony/fleet/contracts";
 * registryReaderApiSubjects()[0]; // "$JS.API.STREAM.INFO.FLEET_DEVICES"
 * ```
 */
export function registryReaderApiSubjects(
  stream: string = DEVICE_REGISTRY_STREAM,
): string[] {
  return [
    `$JS.API.STREAM.INFO.${stream}`,
    // `CREATE.<stream>.<consumer>` and `CREATE.<stream>.<consumer>.<filter>`
    `$JS.API.CONSUMER.CREATE.${stream}.>`,
    `$JS.API.CONSUMER.DELETE.${stream}.>`,
  ];
}
