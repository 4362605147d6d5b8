/**
 * What the agent and the client need to know about one verb, as each file
 * of `contracts/verbs/` describes its own and the registry
 * (`contracts/verbs/mod.ts`) lists them.
 *
 * @example
 * ```ts
 * import { VERBS } from "@harmony/fleet/contracts";
 * VERBS.logs.streams; // true
 * VERBS.ping.decodeRequest(new Uint8Array()); // { verb: "ping" }
 * ```
 */
export interface VerbSpec<Name extends string, Request, Reply = never> {
  /** The verb: the last token of the command subject. */
  readonly name: Name;
  /**
   * Whether the reply is a stream (data messages, then one end message or
   * an error reply) rather than a single message.
   */
  readonly streams: boolean;
  /**
   * Whether the request may come as a plain publish, without a reply
   * subject (the agent then acts and answers nothing).
   */
  readonly publishable: boolean;
  /**
   * Decodes and checks a request body (an empty body means "no fields");
   * unknown fields are dropped.
   *
   * @throws {PayloadError} naming the field and what was expected.
   */
  decodeRequest(data: Uint8Array): Request;
  /**
   * Decodes and checks the reply of a single-reply verb; `undefined` for
   * streaming verbs.
   *
   * @throws {PayloadError} naming the field and what was expected.
   */
  readonly decodeReply?: (data: Uint8Array) => Reply;
  /**
   * For a streaming verb: whether this request follows (is bounded by
   * keepalives, not by its deadline). Always `false` for other verbs.
   */
  follows(request: Request): boolean;
}
