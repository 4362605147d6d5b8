/**
 * What to fix when the CLI's TLS fails, read from the connection's error
 * (the transport names the server and quotes the TLS error, e.g.
 * `invalid peer certificate: UnknownIssuer`), in terms of the CLI's flags.
 *
 * @module
 */

// Most specific first: a refused client certificate also says "certificate".
const ADVICE: readonly (readonly [RegExp, string])[] = [
  [
    /TLS is required \(.*\) but the server does not offer it/,
    "the server offers no TLS: use nats:// without --tlsca, --tlscert, " +
    "--tlskey and --tlsfirst, or turn TLS on in the server",
  ],
  [
    /a server with TLS handshake_first closes a connection/,
    "the server wants the TLS handshake first (handshake_first): add " +
    "--tlsfirst, and --tlscert and --tlskey if it verifies client certificates",
  ],
  [
    /fatal alert: CertificateRequired/,
    "the server requires a client certificate: give --tlscert and --tlskey " +
    "(with --tlsfirst)",
  ],
  [
    /the server refused the client certificate/,
    "the server refused the client certificate: give one signed by a CA " +
    "the server trusts (its tls ca_file)",
  ],
  [
    /invalid peer certificate: UnknownIssuer/,
    "the server's certificate is signed by a CA this machine does not " +
    "trust: give that CA with --tlsca",
  ],
  [
    /invalid peer certificate: certificate (expired|not valid yet)/,
    "the server's certificate has expired or is not valid yet: renew it on " +
    "the server (or check this machine's clock)",
  ],
  [
    /invalid peer certificate: certificate not valid for name/,
    "the server's certificate is not valid for the host in the server URL: " +
    "connect by a name or address the certificate carries",
  ],
  [
    /received corrupt message|InvalidContentType|peer is incompatible|HandshakeFailure/,
    "the server does not start with TLS: drop --tlsfirst (and the client " +
    "certificate, which needs it), or set handshake_first in the server's " +
    "tls block",
  ],
  [
    /invalid peer certificate/,
    "the server's certificate was refused: check it, and the CA given " +
    "with --tlsca",
  ],
];

/**
 * What to fix, in the CLI's terms, when `error` (or one of its causes) is a
 * TLS failure; `undefined` when it is not one.
 *
 * @example
 * ```ts
 * import { tlsAdvice } from "./tls_advice.ts";
 * tlsAdvice(new Error('Cannot connect to "h:4222": invalid peer certificate: UnknownIssuer'));
 * // "the server's certificate is signed by a CA this machine does not trust: give that CA with --tlsca"
 * ```
 */
export function tlsAdvice(error: unknown): string | undefined {
  for (let e = error; e instanceof Error; e = e.cause) {
    for (const [pattern, advice] of ADVICE) {
      if (pattern.test(e.message)) return advice;
    }
  }
  return undefined;
}
