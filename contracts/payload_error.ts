/**
 * Thrown by the codecs when bytes are not a well-formed message of the
 * expected type. The message names the field and what was expected.
 *
 * @example
 * ```ts
 * import { decodePingReply, PayloadError } from "@harmony/fleet/contracts";
 * try {
 *   decodePingReply(new TextEncoder().encode("{}"));
 * } catch (error) {
 *   error instanceof PayloadError; // true
 * }
 * ```
 */
export class PayloadError extends Error {
  /** Builds the error; `options.cause` carries the underlying parse error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PayloadError";
  }
}
