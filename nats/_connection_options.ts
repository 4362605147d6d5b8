/**
 * What {@linkcode connect} hands to nats-core: server URLs checked and
 * stripped of user info, `tls://` turned into a `tls` option.
 *
 * @module
 */
import type { ConnectionOptions } from "@nats-io/nats-core";
import { parseServerUrls, ServerScheme, ServerUrlError } from "./servers.ts";

/** Connection options ready for nats-core, and the URLs they dial. */
export interface PreparedOptions {
  /** The options to hand to nats-core. */
  options: ConnectionOptions;
  /** The server URLs, without user info; empty when none was given. */
  urls: string[];
}

/**
 * Checks `options.servers` with {@linkcode parseServerUrls} and returns
 * options whose `servers` are the URLs without user info. A `tls://` URL
 * makes TLS required: `tls` becomes `{}` unless set (any `tls` object
 * means required, as for nats-core's own option check).
 *
 * @throws {ServerUrlError} for a URL that is not a NATS server URL
 *   (`ws://` included), or a `tls://` URL with `tls: null`.
 */
export function prepareConnectionOptions(
  options: ConnectionOptions,
): PreparedOptions {
  const { servers } = options;
  const given = typeof servers === "string" ? [servers] : servers ?? [];
  if (given.length === 0) return { options, urls: [] };
  const parsed = parseServerUrls(given);
  const prepared: ConnectionOptions = { ...options, servers: parsed.urls };
  if (parsed.tlsRequired) {
    if (options.tls === null) {
      const index = parsed.servers.findIndex((s) =>
        s.scheme === ServerScheme.Tls
      );
      throw new ServerUrlError(
        given[index],
        "tls:// requires TLS, which the option tls: null turns off",
      );
    }
    prepared.tls = options.tls ?? {};
  }
  return { options: prepared, urls: parsed.urls };
}
