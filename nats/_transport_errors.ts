/**
 * The errors of `DenoTransport`: every one a NATS error that names the
 * server and says why.
 *
 * @module
 */
import { errors } from "@nats-io/nats-core/internal";
import type { Server } from "@nats-io/nats-core/internal";

/** The error of a dial given up because the transport was closed. */
export function closedWhileConnecting(): Error {
  return new errors.ConnectionError("connection closed while connecting");
}

/** `"host:port"`, an IPv6 address in brackets, for messages. */
export function describeServer({ hostname, port }: Server): string {
  return JSON.stringify(
    hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`,
  );
}

/**
 * Keeps NATS errors that say what failed, and bad options (`TypeError`), as
 * they are; prefixes other NATS connection errors with `action`, and wraps
 * anything else in a `ConnectionError` that says `action` and why.
 */
export function asConnectionError(e: unknown, action: string): Error {
  if (
    e instanceof TypeError ||
    e instanceof errors.InvalidArgumentError ||
    e instanceof errors.AuthorizationError ||
    e instanceof errors.ProtocolError ||
    (e instanceof errors.ConnectionError && e.message.startsWith("Cannot "))
  ) {
    return e;
  }
  const why = e instanceof Deno.errors.ConnectionRefused
    ? "connection refused"
    : e instanceof Error
    ? e.message + tlsAlertHint(e.message)
    : String(e);
  return new errors.ConnectionError(`${action}: ${why}`, { cause: e });
}

/** What a TLS alert from the server means for the client's certificate. */
function tlsAlertHint(message: string): string {
  const alert = /received fatal alert: (\w+)/.exec(message)?.[1];
  if (alert === "CertificateRequired") {
    return "; the server requires a client certificate: set tls.certFile, " +
      "tls.keyFile and tls.handshakeFirst";
  }
  if (alert !== undefined && REFUSED_CERT_ALERTS.has(alert)) {
    return "; the server refused the client certificate";
  }
  return "";
}

/** TLS alerts a server sends when it does not accept a client certificate. */
const REFUSED_CERT_ALERTS = new Set([
  "BadCertificate",
  "UnsupportedCertificate",
  "CertificateRevoked",
  "CertificateExpired",
  "CertificateUnknown",
  "UnknownCA",
  "AccessDenied",
]);
