import { errors, setTransportFactory } from "@nats-io/nats-core/internal";
import type { ConnectionOptions, NatsConnection } from "./core_types.ts";
import { DenoTransport } from "./deno_transport.ts";
import { DEFAULT_NATS_PORT } from "./servers.ts";
import { prepareConnectionOptions } from "./_connection_options.ts";
import { connectTryingEveryServer } from "./_first_connect.ts";
import { resolveHost } from "./_resolve_host.ts";
import { checkTlsOptionContents } from "./tls.ts";

/**
 * Connects to NATS over Deno's own TCP/TLS sockets (see
 * {@linkcode DenoTransport}). Options and the returned connection are those
 * of `@nats-io/nats-core`; a server without a port uses 4222.
 *
 * Server URLs are checked as the `nats` CLI reads them (see
 * `parseServerUrl`), and nats-core only ever sees them without user info:
 * `nats://user:password@host` becomes the `user` and `pass` options,
 * `nats://token@host` the `token` option (giving credentials both ways is
 * refused). No error of `connect()` quotes a password or token. A `tls://`
 * URL, like any `tls` option object, makes TLS required: a server that does
 * not offer it is refused.
 *
 * Host names are resolved (`resolve` defaults to true, as nats-core sets it
 * when a resolver is registered): each of a name's addresses is dialled in
 * turn, IPv4 first unless shuffled, and the certificate is checked against
 * the name. `resolve: false` dials the name as it is.
 *
 * The first connect tries every server given, in nats-core's order
 * (shuffled unless `noRandomize`), whatever `maxReconnectAttempts` says;
 * reconnects later follow `maxReconnectAttempts` as given.
 *
 * Rejects with `ServerUrlError` (a `TypeError`) for a server URL that is not
 * `nats://` or `tls://` (`ws://` included) or credentials given twice, with
 * `NatsTlsError` (a `TypeError`) for a `tls` file that is missing,
 * unreadable or not PEM, or inline PEM that is not (checked before any
 * dial, as `tlsConnectionOptions` checks them), with `AuthorizationError` when
 * the server refuses the credentials, and with `ConnectionError` when no
 * server can be reached (naming them all when several were given).
 *
 * @example
 * ```ts ignore
 * import { connect } from "./connect.ts";
 *
 * const nc = await connect({ servers: "nats://127.0.0.1:4222", user: "a", pass: "b" });
 * const reply = await nc.request("device-commands.d-17.ping", "", { timeout: 1000 });
 * await nc.close();
 * ```
 */
export async function connect(
  options: ConnectionOptions,
): Promise<NatsConnection> {
  const { options: prepared, urls } = prepareConnectionOptions(options);
  await checkTlsOptionContents(prepared.tls);
  setTransportFactory({
    factory: () => new DenoTransport(),
    defaultPort: DEFAULT_NATS_PORT,
    dnsResolveFn: resolveHost,
  });
  try {
    return await connectTryingEveryServer(prepared);
  } catch (e) {
    throw nameServers(e, urls);
  }
}

/** A connection error that names every server tried when more than one was. */
function nameServers(e: unknown, urls: string[]): unknown {
  if (!(e instanceof errors.ConnectionError) || urls.length < 2) return e;
  const names = urls.map((url) => JSON.stringify(url)).join(", ");
  return new errors.ConnectionError(
    `Cannot connect to any of the NATS servers ${names}: ${e.message}`,
    { cause: e },
  );
}
