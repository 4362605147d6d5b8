/**
 * TEMPORARY: connects through the node transport until the Deno transport lands.
 *
 * @module
 */
import type { ConnectionOptions, NatsConnection } from "@nats-io/nats-core";
import { connect as nodeConnect } from "@nats-io/transport-node";

export type { ConnectionOptions, NatsConnection } from "@nats-io/nats-core";

/** Connects to NATS. */
export function connect(options: ConnectionOptions): Promise<NatsConnection> {
  return nodeConnect(options);
}
