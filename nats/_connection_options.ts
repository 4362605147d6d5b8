/**
 * What `connect()` hands to nats-core: server URLs checked and stripped of
 * user info (nats-core ignores it for authentication, and reads
 * `user:1pw@host` as port 1), their credentials turned into `user`/`pass`
 * or `token` as the `nats` CLI does, `tls://` turned into a `tls` option.
 *
 * @module
 */
import type { ConnectionOptions } from "./core_types.ts";
import { checkTlsOptions } from "./_tls_options.ts";
import { parseServerUrls, ServerScheme, ServerUrlError } from "./servers.ts";

/** The options that carry credentials, as URL user info does. */
const CREDENTIAL_OPTIONS = ["user", "pass", "token", "authenticator"] as const;

/** Connection options ready for nats-core, and the URLs they dial. */
export interface PreparedOptions {
  /** The options to hand to nats-core. */
  options: ConnectionOptions;
  /** The server URLs, without user info; empty when none was given. */
  urls: string[];
}

/**
 * Checks `options.servers` with {@linkcode parseServerUrls} and returns
 * options whose `servers` are the URLs without user info. URL credentials
 * become `user` and `pass` (`nats://user:password@host`) or `token`
 * (`nats://token@host`). A `tls://` URL
 * makes TLS required: `tls` becomes `{}` unless set (any `tls` object
 * means required, as for nats-core's own option check).
 *
 * @throws {ServerUrlError} for a URL that is not a NATS server URL
 *   (`ws://` included), URLs with different credentials, URL credentials
 *   together with a `user`, `pass`, `token` or `authenticator` option, or a
 *   `tls://` URL with `tls: null`.
 * @throws {TypeError} for `tls` options that cannot work (see
 *   `checkTlsOptions`).
 */
export function prepareConnectionOptions(
  options: ConnectionOptions,
): PreparedOptions {
  const { servers } = options;
  const given = typeof servers === "string" ? [servers] : servers ?? [];
  if (given.length === 0) {
    checkTlsOptions(options.tls);
    return { options, urls: [] };
  }
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
  const { credentials } = parsed;
  if (credentials !== undefined) {
    const index = parsed.servers.findIndex((s) =>
      s.user !== undefined || s.token !== undefined
    );
    const set = CREDENTIAL_OPTIONS.filter((key) => options[key] !== undefined);
    if (set.length > 0) {
      const names = set.map((key) => `"${key}"`).join(", ");
      throw new ServerUrlError(
        given[index],
        `it carries credentials and the ${names} option${
          set.length > 1 ? "s are" : " is"
        } set too; give credentials one way`,
      );
    }
    if ("token" in credentials) {
      prepared.token = credentials.token;
    } else {
      prepared.user = credentials.user;
      prepared.pass = credentials.password;
    }
  }
  checkTlsOptions(prepared.tls);
  return { options: prepared, urls: parsed.urls };
}
