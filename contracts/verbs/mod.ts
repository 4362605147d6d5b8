/**
 * The verb registry: one file per verb (`ping.ts`, `logs.ts`, `exec.ts`,
 * `cancel.ts`, `keepalive.ts`) with its types and codec, listed here once.
 * The agent and the client both look verbs up in {@linkcode VERBS}. A new
 * verb is one file and one line in `VERBS` (and one in {@linkcode Verb}).
 *
 * @example
 * ```ts
 * import { decodeCommandRequest, Verb, VERBS } from "@harmony/fleet/contracts";
 * VERBS[Verb.Logs].stream?.lines; // true
 * decodeCommandRequest(new Uint8Array(), Verb.Ping); // { verb: "ping" }
 * ```
 *
 * @module
 */
import { PayloadError } from "../payload_error.ts";
import { type CancelRequest, cancelVerb } from "./cancel.ts";
import { type ExecRequest, execVerb } from "./exec.ts";
import { type KeepaliveRequest, keepaliveVerb } from "./keepalive.ts";
import { type LogsRequest, logsVerb } from "./logs.ts";
import { type PingRequest, pingVerb } from "./ping.ts";
import type { VerbSpec } from "./verb_spec.ts";

export * from "./cancel.ts";
export * from "./exec.ts";
export * from "./keepalive.ts";
export * from "./logs.ts";
export * from "./ping.ts";
export * from "./verb_spec.ts";

/**
 * The verbs an agent answers. A verb is the last token of a command subject.
 *
 * @example
 * ```ts
 * import { isVerb, Verb } from "@harmony/fleet/contracts";
 * isVerb(Verb.Ping); // true
 * ```
 */
export const Verb = {
  /** Liveness check: one {@linkcode PingReply}. */
  Ping: "ping",
  /** A container's log, streamed. */
  Logs: "logs",
  /** A command's output, streamed, then its exit code. */
  Exec: "exec",
  /** Ends a stream: `{request_id, found}`. */
  Cancel: "cancel",
  /** Keeps a `follow` stream alive: `{request_id, found}` when requested. */
  Keepalive: "keepalive",
} as const;

/** One of the values of {@linkcode Verb}. */
export type Verb = typeof Verb[keyof typeof Verb];

/** The request body type of each verb. */
export interface RequestByVerb {
  /** {@linkcode PingRequest} */
  ping: PingRequest;
  /** {@linkcode LogsRequest} */
  logs: LogsRequest;
  /** {@linkcode ExecRequest} */
  exec: ExecRequest;
  /** {@linkcode CancelRequest} */
  cancel: CancelRequest;
  /** {@linkcode KeepaliveRequest} */
  keepalive: KeepaliveRequest;
}

/** The request body type of verb `V`. */
export type RequestOf<V extends Verb> = RequestByVerb[V];

/** Any command request body. */
export type CommandRequest = RequestByVerb[Verb];

/** The verbs whose reply is a stream. */
export type StreamingVerb = typeof Verb.Logs | typeof Verb.Exec;

/** The registry: each verb's {@linkcode VerbSpec}. */
export type VerbRegistry = {
  readonly [V in Verb]: VerbSpec<V, RequestOf<V>, unknown>;
};

/**
 * Every verb of the protocol, by name.
 *
 * @example
 * ```ts
 * import { VERBS } from "@harmony/fleet/contracts";
 * VERBS.cancel.publishable; // true
 * ```
 */
export const VERBS: VerbRegistry = Object.freeze({
  ping: pingVerb,
  logs: logsVerb,
  exec: execVerb,
  cancel: cancelVerb,
  keepalive: keepaliveVerb,
});

const KNOWN_VERBS: ReadonlySet<string> = new Set(Object.values(Verb));
const KNOWN_LIST = Object.values(Verb).map((v) => `"${v}"`).join(", ");

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

/**
 * Whether `verb` answers with a stream.
 *
 * @example
 * ```ts
 * import { isStreamingVerb } from "@harmony/fleet/contracts";
 * isStreamingVerb("exec"); // true
 * ```
 */
export function isStreamingVerb(verb: Verb): verb is StreamingVerb {
  return VERBS[verb].stream !== undefined;
}

/**
 * Decodes a request body for a command whose subject names `verb`, with
 * that verb's decoder. An empty body means "no fields"; a body whose
 * `verb` differs from `verb` is rejected; unknown fields are dropped.
 *
 * @throws {PayloadError} when `verb` is unknown or the body is not a
 *   well-formed request for it (the message names the field).
 * @example
 * ```ts
 * import { decodeCommandRequest, Verb } from "@harmony/fleet/contracts";
 * decodeCommandRequest(new Uint8Array(), Verb.Ping); // { verb: "ping" }
 * ```
 */
export function decodeCommandRequest<V extends Verb>(
  data: Uint8Array,
  verb: V,
): RequestOf<V> {
  if (!isVerb(verb)) {
    throw new PayloadError(
      `Unknown verb ${JSON.stringify(verb)}; known verbs: ${KNOWN_LIST}`,
    );
  }
  return VERBS[verb].decodeRequest(data) as RequestOf<V>;
}

/**
 * The known verbs, quoted and comma-separated, for messages.
 *
 * @example
 * ```ts
 * import { knownVerbsList } from "@harmony/fleet/contracts";
 * knownVerbsList(); // "\"ping\", \"logs\", \"exec\", \"cancel\", \"keepalive\""
 * ```
 */
export function knownVerbsList(): string {
  return KNOWN_LIST;
}
