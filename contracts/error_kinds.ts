/**
 * The kinds of error an agent answers with, each with a fixed numeric code
 * (see {@linkcode ERROR_CODES}).
 *
 * @example
 * ```ts
 * import { ErrorKind, ERROR_CODES } from "@harmony/fleet/contracts";
 * ERROR_CODES[ErrorKind.BadRequest]; // 400
 * ```
 */
export const ErrorKind = {
  /** Malformed JSON, wrong field types, verb mismatch, unknown verb. */
  BadRequest: "bad_request",
  /** The agent's policy refuses the command. */
  Forbidden: "forbidden",
  /** The thing named (container, …) does not exist, or is not visible to this agent. */
  NotFound: "not_found",
  /** The container exists but is not running (exec). */
  Conflict: "conflict",
  /** The verb is known but not available on this agent. */
  Unsupported: "unsupported",
  /** The request's deadline passed before the work finished. */
  DeadlineExceeded: "deadline_exceeded",
  /** Anything else; the agent keeps serving. */
  Internal: "internal",
} as const;

/** One of the values of {@linkcode ErrorKind}. */
export type ErrorKind = typeof ErrorKind[keyof typeof ErrorKind];

/**
 * The `Nats-Service-Error-Code` sent with each error kind.
 *
 * @example
 * ```ts
 * import { ERROR_CODES } from "@harmony/fleet/contracts";
 * ERROR_CODES.internal; // 500
 * ```
 */
export const ERROR_CODES: Readonly<Record<ErrorKind, number>> = {
  bad_request: 400,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  unsupported: 501,
  deadline_exceeded: 504,
  internal: 500,
};

const KNOWN_KINDS: ReadonlySet<string> = new Set(Object.values(ErrorKind));

/**
 * Whether `value` is one of the {@linkcode ErrorKind} values.
 *
 * @example
 * ```ts
 * import { isErrorKind } from "@harmony/fleet/contracts";
 * isErrorKind("not_found"); // true
 * ```
 */
export function isErrorKind(value: unknown): value is ErrorKind {
  return typeof value === "string" && KNOWN_KINDS.has(value);
}
