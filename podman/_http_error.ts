/**
 * The error of the HTTP/1.1 answer parsers. Private to `podman/`.
 */

/**
 * An HTTP answer that does not follow HTTP/1.1 framing: a bad status line
 * or header, a head or chunk line too long, a bad chunk size, or an answer
 * that stopped before its end.
 */
export class HttpFramingError extends Error {
  /** Builds the error; `problem` completes "Cannot read the HTTP answer: …". */
  constructor(problem: string, options?: ErrorOptions) {
    super(`Cannot read the HTTP answer: ${problem}`, options);
    this.name = "HttpFramingError";
  }
}
