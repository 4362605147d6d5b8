/**
 * Maps a verified token's subject to a role, and a role to its NATS
 * permissions (from `contracts/permissions.ts`, the one source).
 *
 * @module
 */
import {
  deviceIdProblem,
  devicePermissions,
  type NatsPermissions,
  operatorPermissions,
} from "../contracts/mod.ts";
import { RefusalReason, TokenRefusedError } from "./oidc_verifier.ts";

/** The subject prefix of device tokens: `device-<device id>`. */
export const DEVICE_SUBJECT_PREFIX = "device-";

/** Who a token's subject is. */
export type Role =
  | { kind: "device"; deviceId: string }
  | { kind: "operator" };

/** Options of {@linkcode roleForSubject}. */
export interface RoleOptions {
  /** Subjects that are operators (exact match). */
  operatorSubjects: readonly string[];
}

/**
 * `device-<id>` with a valid device id is that device; a configured operator
 * subject is an operator; anything else (a wildcard, an invalid id, an
 * unknown subject) is refused.
 *
 * @throws {TokenRefusedError} with reason `subject_not_allowed`.
 * @example
 * ```ts
 * import { roleForSubject } from "./role.ts";
 * roleForSubject("device-d1", { operatorSubjects: ["fleet-ops"] });
 * // { kind: "device", deviceId: "d1" }
 * ```
 */
export function roleForSubject(subject: string, options: RoleOptions): Role {
  if (subject.startsWith(DEVICE_SUBJECT_PREFIX)) {
    const deviceId = subject.slice(DEVICE_SUBJECT_PREFIX.length);
    const problem = deviceIdProblem(deviceId);
    if (problem !== undefined) {
      throw new TokenRefusedError(
        RefusalReason.SubjectNotAllowed,
        `subject ${JSON.stringify(subject)} is not a valid device: ${problem}`,
      );
    }
    return { kind: "device", deviceId };
  }
  if (options.operatorSubjects.includes(subject)) return { kind: "operator" };
  throw new TokenRefusedError(
    RefusalReason.SubjectNotAllowed,
    `subject ${
      JSON.stringify(subject)
    } is neither device-<id> nor a configured operator`,
  );
}

/** Options of {@linkcode permissionsForRole}. */
export interface RolePermissionsOptions {
  /**
   * The operators' inbox prefix.
   *
   * @default {"_INBOX"}
   */
  operatorInboxPrefix?: string;
}

/**
 * The permissions of `role`: `devicePermissions(id)` or
 * `operatorPermissions(…)`.
 *
 * @example
 * ```ts
 * import { permissionsForRole } from "./role.ts";
 * permissionsForRole({ kind: "device", deviceId: "d1" }).publish.allow;
 * // ["device-heartbeat.d1"]
 * ```
 */
export function permissionsForRole(
  role: Role,
  options: RolePermissionsOptions = {},
): NatsPermissions {
  return role.kind === "device"
    ? devicePermissions(role.deviceId)
    : operatorPermissions({ inboxPrefix: options.operatorInboxPrefix });
}
