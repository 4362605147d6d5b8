/**
 * Header names of the protocol. NATS headers are case-sensitive on the
 * wire; these are the exact spellings.
 *
 * @example
 * ```ts
 * import { Header } from "@harmony/fleet/contracts";
 * Header.RequestId; // "X-Harmony-Request-Id"
 * ```
 */
export const Header = {
  /** A UUID chosen by the caller; the agent echoes it on the reply. */
  RequestId: "X-Harmony-Request-Id",
  /** Unix epoch milliseconds, decimal; work past it is skipped. */
  Deadline: "X-Harmony-Deadline",
  /** Who sent the request (user name or token subject), for the agent's log. */
  OperatorSub: "X-Harmony-Operator-Sub",
  /** NATS services (ADR-32) error code header, decimal. */
  ServiceErrorCode: "Nats-Service-Error-Code",
  /** NATS services (ADR-32) error message header. */
  ServiceError: "Nats-Service-Error",
} as const;

/** One of the values of {@linkcode Header}. */
export type Header = typeof Header[keyof typeof Header];
