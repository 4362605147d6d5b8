import { assertDeviceId } from "./device_id.ts";
import { registryReaderApiSubjects } from "./registry.ts";
import {
  COMMAND_SUBJECT_PREFIX,
  deviceCommandSubscription,
  deviceHeartbeatSubject,
  HEARTBEAT_SUBJECT_PREFIX,
} from "./subjects.ts";

/** Subjects a user may use for one operation (publish or subscribe). */
export interface SubjectPermission {
  /** The subjects (wildcards allowed) permitted; nothing else is. */
  allow: string[];
}

/**
 * How many messages, for how long, a user may publish to the reply subject
 * of each request it received (nats-server's `allow_responses`; in a user
 * JWT, `resp: { max, ttl }`).
 */
export interface ResponsePermission {
  /** Most messages per request. */
  max: number;
  /** For how long after the request, as nats-server reads it (`"1h"`). */
  expires: string;
  /** The same duration in milliseconds (a JWT's `resp.ttl` is this × 10⁶, nanoseconds). */
  expiresMs: number;
}

/**
 * The NATS permissions of one user, shaped as nats-server's `permissions`
 * block (`publish`, `subscribe`, `allow_responses`). Plain data: the static
 * config renderer and the auth callout both issue exactly this.
 */
export interface NatsPermissions {
  /** What the user may publish. */
  publish: SubjectPermission;
  /** What the user may subscribe to. */
  subscribe: SubjectPermission;
  /** Replies to requests received, when allowed at all. */
  allow_responses?: ResponsePermission;
}

/**
 * What a device may send in answer to one request: enough messages for a
 * stream, for an hour. `allow_responses: true` (or `max: 0`) lets only
 * ONE message through (nats-server 2.10, checked), which cuts a stream
 * after its first chunk; a blanket `_INBOX.>` publish would let a device
 * write into anyone's replies. A stream longer than an hour is cut by the
 * server.
 *
 * @example
 * ```ts
 * import { STREAM_RESPONSES } from "@harmony/fleet/contracts";
 * STREAM_RESPONSES.max; // 1000000
 * ```
 */
export const STREAM_RESPONSES: Readonly<ResponsePermission> = Object.freeze({
  max: 1_000_000,
  expires: "1h",
  expiresMs: 3_600_000,
});

/** The inbox prefix of NATS clients that set none. */
export const DEFAULT_INBOX_PREFIX = "_INBOX";

/**
 * The permissions of device `deviceId`'s agent: subscribe to its own
 * commands (`device-commands.<id>.>`), publish its own heartbeat
 * (`device-heartbeat.<id>`), and answer the requests it receives with as
 * many messages as a stream needs ({@linkcode STREAM_RESPONSES}). Nothing
 * of another device, and no inbox but the reply subjects of requests it
 * received.
 *
 * @throws {InvalidDeviceIdError} for an invalid id.
 * @example
 * ```ts
 * import { devicePermissions } from "@harmony/fleet/contracts";
 * devicePermissions("d1").subscribe.allow; // ["device-commands.d1.>"]
 * ```
 */
export function devicePermissions(deviceId: string): NatsPermissions {
  assertDeviceId(deviceId);
  return {
    publish: { allow: [deviceHeartbeatSubject(deviceId)] },
    subscribe: { allow: [deviceCommandSubscription(deviceId)] },
    allow_responses: { ...STREAM_RESPONSES },
  };
}

/** Options of {@linkcode operatorPermissions}. */
export interface OperatorPermissionsOptions {
  /**
   * The operator's own inbox prefix (the connection's `inboxPrefix`); give
   * each operator its own so that none can read another's replies.
   *
   * @default {"_INBOX"}
   */
  inboxPrefix?: string;
}

/**
 * The permissions of an operator: publish commands to any device
 * (`device-commands.>`, `cancel` and `keepalive` included), subscribe to
 * every heartbeat (`device-heartbeat.>`) and to its own inbox
 * (`<inboxPrefix>.>`), where replies and streams arrive; and read the
 * device registry stream (`FLEET_DEVICES`: its info, and an ephemeral
 * consumer delivering to that inbox — {@linkcode registryReaderApiSubjects}),
 * but neither change nor delete it.
 *
 * @throws {TypeError} when `inboxPrefix` is empty or holds a wildcard,
 *   whitespace or a dot at either end.
 * @example
 * ```ts
 * import { operatorPermissions } from "@harmony/fleet/contracts";
 * operatorPermissions({ inboxPrefix: "_INBOX_alice" }).subscribe.allow;
 * // ["device-heartbeat.>", "_INBOX_alice.>"]
 * ```
 */
export function operatorPermissions(
  options: OperatorPermissionsOptions = {},
): NatsPermissions {
  const prefix = options.inboxPrefix ?? DEFAULT_INBOX_PREFIX;
  if (!/^[^.*>\s]+(\.[^.*>\s]+)*$/.test(prefix)) {
    throw new TypeError(
      `Invalid inbox prefix ${
        JSON.stringify(prefix)
      }: expected subject tokens without wildcards or whitespace`,
    );
  }
  return {
    publish: {
      allow: [`${COMMAND_SUBJECT_PREFIX}.>`, ...registryReaderApiSubjects()],
    },
    subscribe: { allow: [`${HEARTBEAT_SUBJECT_PREFIX}.>`, `${prefix}.>`] },
  };
}
