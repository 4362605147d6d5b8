/**
 * What the agent and the client need to know about one verb, as each file
 * of `contracts/verbs/` describes its own and the registry
 * (`contracts/verbs/mod.ts`) lists them.
 *
 * @example
 * ```ts
 * import { VERBS } from "@harmony/fleet/contracts";
 * VERBS.ping.decodeRequest(new Uint8Array()); // { verb: "ping" }
 * VERBS.exec.stream?.limitBytes({ verb: "exec", host: true, cmd: ["id"] }); // 16777216
 * ```
 */
export interface VerbSpec<Name extends string, Request, Reply = never> {
  /** The verb: the last token of the command subject. */
  readonly name: Name;
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
   * Present for a streaming verb, whose reply is a stream (data messages,
   * then one end message or an error reply); `undefined` for a verb with
   * a single reply.
   */
  readonly stream?: StreamSpec<Request>;
}

/** How the stream of a streaming verb's request behaves. */
export interface StreamSpec<Request> {
  /**
   * Whether this request follows: bounded by keepalives (ended
   * `abandoned` without one for 15 s), not by its deadline, which then
   * only turns away a request that arrives after it.
   */
  follows(request: Request): boolean;
  /**
   * The data bytes after which the stream ends `limit` (the request's
   * `limit_bytes` or the verb's default), or `undefined` for no limit.
   */
  limitBytes(request: Request): number | undefined;
  /** Whether its data is cut at line ends where a line allows it (log data). */
  readonly lines: boolean;
}
