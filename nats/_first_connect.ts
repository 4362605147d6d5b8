/**
 * The first connect of `@nats-io/nats-core` 3.4.0, made to try every server.
 *
 * nats-core's dial loop drops a server that fails before the first connect
 * succeeded, and drops "the current server" again once its failed attempts
 * reach `maxReconnectAttempts`. With `maxReconnectAttempts` 0 or 1 both
 * happen after one failed dial; the second removal then hits whichever
 * server is last in the pool, so the next server is dropped untried and a
 * list with one dead server fails about half the time.
 *
 * @module
 */
import {
  DEFAULT_MAX_RECONNECT_ATTEMPTS,
  NatsConnectionImpl,
} from "@nats-io/nats-core/internal";
import type { ConnectionOptions, NatsConnection } from "./core_types.ts";

/** Unlimited attempts: nats-core then never drops a server for its attempt count. */
const UNLIMITED = -1;

/**
 * Connects like `NatsConnectionImpl.connect`, with unlimited attempts while
 * the first connect runs and `options.maxReconnectAttempts` (default 10) once
 * it has succeeded. During the first connect the attempt count only ever
 * triggers the double removal described above: nats-core drops a failed
 * server anyway, so every server in the pool is dialled once, in nats-core's
 * order (shuffled unless `noRandomize`).
 *
 * The limit is put back before any reconnect can read it: the dial loop
 * resolves and this function resumes in the same turn of the event loop,
 * while a reconnect needs a socket event first.
 */
export async function connectTryingEveryServer(
  options: ConnectionOptions,
): Promise<NatsConnection> {
  const requested = options.maxReconnectAttempts ??
    DEFAULT_MAX_RECONNECT_ATTEMPTS;
  const nc = await NatsConnectionImpl.connect({
    ...options,
    maxReconnectAttempts: UNLIMITED,
  }) as NatsConnectionImpl;
  nc.options.maxReconnectAttempts = requested;
  return nc;
}
