/**
 * The verbs an agent answers. A verb is the last token of a command subject.
 *
 * @example
 * ```ts
 * import { Verb, isVerb } from "@harmony/fleet/contracts";
 * isVerb(Verb.Ping); // true
 * ```
 */
export const Verb = {
  /** Liveness check: the agent answers with a {@linkcode PingReply}. */
  Ping: "ping",
} as const;

/** One of the values of {@linkcode Verb}. */
export type Verb = typeof Verb[keyof typeof Verb];

const KNOWN_VERBS: ReadonlySet<string> = new Set(Object.values(Verb));

/**
 * Whether `value` names a verb of this protocol version.
 *
 * @example
 * ```ts
 * import { isVerb } from "@harmony/fleet/contracts";
 * isVerb("ping"); // true
 * isVerb("reboot"); // false
 * ```
 */
export function isVerb(value: unknown): value is Verb {
  return typeof value === "string" && KNOWN_VERBS.has(value);
}
