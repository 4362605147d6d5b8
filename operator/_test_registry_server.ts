// A nats-server with JetStream, an admin, an operator with exactly
// operatorPermissions() and device users, for the registry tests. Private
// to operator/ tests.
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "../nats/mod.ts";
import { NatsServerProcess, TEST_ADMIN } from "../testing/mod.ts";

/** The operator user of {@linkcode startRegistryServer}. */
export const OPERATOR = {
  user: "alice",
  password: "alice-pw",
  inboxPrefix: "_INBOX_alice",
};

/** The password of device `id`'s user `device-<id>`. */
export function devicePassword(id: string): string {
  return `${id}-pw`;
}

/** Options of {@linkcode startRegistryServer}. */
export interface RegistryServerOptions {
  /** Device ids that get a user. */
  devices?: readonly string[];
  /** Raw config appended (e.g. `jetstream: disabled`). */
  extraConfig?: string;
}

/** The server and three connections to it; disposing closes them all. */
export interface RegistryServer extends AsyncDisposable {
  nats: NatsServerProcess;
  admin: NatsConnection;
  operator: NatsConnection;
  /** Connects as device `id`. */
  device(id: string): Promise<NatsConnection>;
}

/** Starts the server and connects the admin and the operator. */
export async function startRegistryServer(
  options: RegistryServerOptions = {},
): Promise<RegistryServer> {
  const devices = options.devices ?? [];
  const nats = await NatsServerProcess.start({
    config: {
      admin: TEST_ADMIN,
      devices: devices.map((deviceId) => ({
        deviceId,
        user: `device-${deviceId}`,
        password: devicePassword(deviceId),
      })),
      operators: [OPERATOR],
      extraConfig: options.extraConfig,
    },
  });
  const connections: NatsConnection[] = [];
  try {
    const admin = await connect({
      servers: nats.url,
      user: TEST_ADMIN.user,
      pass: TEST_ADMIN.password,
    });
    connections.push(admin);
    const operator = await connect({
      servers: nats.url,
      user: OPERATOR.user,
      pass: OPERATOR.password,
      inboxPrefix: OPERATOR.inboxPrefix,
    });
    connections.push(operator);
    return {
      nats,
      admin,
      operator,
      async device(id) {
        const nc = await connect({
          servers: nats.url,
          user: `device-${id}`,
          pass: devicePassword(id),
        });
        connections.push(nc);
        return nc;
      },
      async [Symbol.asyncDispose]() {
        await Promise.all(connections.map((nc) => nc.close()));
        await nats[Symbol.asyncDispose]();
      },
    };
  } catch (error) {
    await Promise.all(connections.map((nc) => nc.close()));
    await nats[Symbol.asyncDispose]();
    throw error;
  }
}
