/**
 * The config texts of a stack in a cluster, from the same renderers as the
 * local backend (`renderNatsServerConfig`, `renderAgentConfig`): nats-server
 * on all addresses of its pod with JetStream and monitoring, agents without
 * a runtime that reach it at the Service's DNS name.
 *
 * @module
 */
import { renderAgentConfig } from "../../testing/agent_process.ts";
import {
  type Credentials,
  type DeviceUser,
  renderNatsServerConfig,
} from "../../testing/nats_server_config.ts";
import type { NatsServerCalloutOptions } from "../../testing/callout_server_config.ts";
import {
  AGENT_TOKEN_PATH,
  assertStackNamespace,
  NATS_CLIENT_PORT,
  NATS_MONITOR_PORT,
  NATS_NAME,
  NATS_STORE_DIR,
} from "./names.ts";
import type { StackAgentManifest } from "./manifests.ts";

/** Options of {@linkcode renderStackConfigs}. */
export interface StackConfigOptions {
  /** The stack's namespace, `e2e-<8 hex>`. */
  namespace: string;
  /** The admin user (allowed everything): what the test connects with. */
  admin: Credentials;
  /** One NATS user per device; each gets an agent. */
  devices: readonly DeviceUser[];
  /**
   * `[agent] heartbeat_interval_s` of every agent.
   *
   * @default {10}
   */
  heartbeatIntervalS?: number;
  /**
   * The auth callout (`auth: "callout"`): nats-server gets the callout's
   * accounts and `auth_callout` block instead of the devices' users (the
   * admin stays, a static user that bypasses the callout), and each agent
   * logs in with `token_file = AGENT_TOKEN_PATH`, its token (by device id)
   * mounted there.
   *
   * @default {undefined (user and password per device)}
   */
  callout?: {
    server: NatsServerCalloutOptions;
    tokens: ReadonlyMap<string, string>;
  };
}

/** What {@linkcode renderStackConfigs} renders. */
export interface StackConfigs {
  /** The nats-server config text. */
  natsConfig: string;
  /** Each device's agent config, in the order of the devices. */
  agents: StackAgentManifest[];
}

/**
 * The NATS URL of stack `namespace` inside the cluster: the Service's DNS
 * name, `nats://nats.<namespace>.svc:4222`.
 *
 * @example
 * ```ts
 * import { clusterNatsUrl } from "./configs.ts";
 * clusterNatsUrl("e2e-1a2b3c4d"); // "nats://nats.e2e-1a2b3c4d.svc:4222"
 * ```
 */
export function clusterNatsUrl(namespace: string): string {
  assertStackNamespace(namespace);
  return `nats://${NATS_NAME}.${namespace}.svc:${NATS_CLIENT_PORT}`;
}

/**
 * Renders the nats-server config (`listen: 0.0.0.0:4222`, `http_port:
 * 8222` — monitoring on the same address as clients — JetStream in
 * `/data`, the admin and one user per device) and one agent config per
 * device (`runtime_enabled = false`, the server {@linkcode clusterNatsUrl}).
 * Pure; the texts hold the passwords, so they belong in the Secret only.
 *
 * @example
 * ```ts
 * import { renderStackConfigs } from "./configs.ts";
 * const { natsConfig, agents } = renderStackConfigs({
 *   namespace: "e2e-1a2b3c4d",
 *   admin: { user: "admin", password: "admin-pw" },
 *   devices: [{ deviceId: "d1-e2e-1a2b3c4d", user: "device-d1", password: "pw" }],
 * });
 * natsConfig.includes('listen: "0.0.0.0:4222"'); // true
 * agents[0].config.includes("runtime_enabled = false"); // true
 * ```
 */
export function renderStackConfigs(options: StackConfigOptions): StackConfigs {
  const servers = clusterNatsUrl(options.namespace);
  const natsConfig = renderNatsServerConfig({
    host: "0.0.0.0",
    port: NATS_CLIENT_PORT,
    storeDir: NATS_STORE_DIR,
    serverName: `${NATS_NAME}-${options.namespace}`,
    admin: options.admin,
    ...(options.callout
      ? { callout: options.callout.server }
      : { devices: options.devices }),
    extraConfig: `http_port: ${NATS_MONITOR_PORT}`,
  });
  const callout = options.callout;
  const agents = options.devices.map((device) => {
    const token = callout?.tokens.get(device.deviceId);
    if (callout && token === undefined) {
      throw new RangeError(
        `Cannot render the stack configs: no token for device "${device.deviceId}"`,
      );
    }
    return {
      deviceId: device.deviceId,
      config: renderAgentConfig({
        deviceId: device.deviceId,
        servers,
        credentials: callout
          ? { tokenFile: AGENT_TOKEN_PATH }
          : { user: device.user, password: device.password },
        runtimeEnabled: false,
        heartbeatIntervalS: options.heartbeatIntervalS,
      }),
      ...(token === undefined ? {} : { token }),
    };
  });
  return { natsConfig, agents };
}
