import { errors, setTransportFactory } from "@nats-io/nats-core/internal";
import type { ConnectionOptions, NatsConnection } from "@nats-io/nats-core";
import { DenoTransport } from "./deno_transport.ts";
import { connectTryingEveryServer } from "./_first_connect.ts";

/** The port used for a server given without one. */
const DEFAULT_PORT = 4222;

/**
 * Connects to NATS over Deno's own TCP/TLS sockets (see
 * {@linkcode DenoTransport}). Options and the returned connection are those
 * of `@nats-io/nats-core`; a server without a port uses 4222.
 *
 * The first connect tries every server given, in nats-core's order
 * (shuffled unless `noRandomize`), whatever `maxReconnectAttempts` says;
 * reconnects later follow `maxReconnectAttempts` as given.
 *
 * Rejects with `InvalidArgumentError` for `ws://` and `wss://` servers, with
 * `AuthorizationError` when the server refuses the credentials, and with
 * `ConnectionError` when no server can be reached (naming them all when
 * several were given).
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
export function connect(options: ConnectionOptions): Promise<NatsConnection> {
  const ws = websocketServer(options);
  if (ws !== undefined) {
    return Promise.reject(
      new errors.InvalidArgumentError(
        `Cannot connect to "${ws}": websocket servers are not supported, ` +
          "use a nats:// or tls:// URL",
      ),
    );
  }
  setTransportFactory({
    factory: () => new DenoTransport(),
    defaultPort: DEFAULT_PORT,
  });
  return connectTryingEveryServer(options).catch((e: unknown) => {
    throw nameServers(e, options);
  });
}

/** A connection error that names every server tried when more than one was. */
function nameServers(e: unknown, options: ConnectionOptions): unknown {
  const { servers } = options;
  const list = typeof servers === "string" ? [servers] : servers ?? [];
  if (!(e instanceof errors.ConnectionError) || list.length < 2) return e;
  const names = list.map((s) => JSON.stringify(s)).join(", ");
  return new errors.ConnectionError(
    `Cannot connect to any of the NATS servers ${names}: ${e.message}`,
    { cause: e },
  );
}

function websocketServer(options: ConnectionOptions): string | undefined {
  const { servers } = options;
  const list = typeof servers === "string" ? [servers] : servers ?? [];
  return list.find((s) => /^wss?:\/\//i.test(s.trim()));
}
