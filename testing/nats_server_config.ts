/**
 * Renders the nats-server configuration of a local e2e stack.
 *
 * @module
 */
import {
  assertDeviceId,
  devicePermissions,
  type NatsPermissions,
  operatorPermissions,
} from "../contracts/mod.ts";
import {
  type NatsServerCalloutOptions,
  renderCalloutServerConfig,
} from "./callout_server_config.ts";

import type { Credentials } from "./credentials.ts";
export type { Credentials } from "./credentials.ts";

/** A device's NATS user: it may only serve its own commands and heartbeat. */
export interface DeviceUser extends Credentials {
  /** The device this user is for; its permissions are built from it. */
  deviceId: string;
}

/** An operator's NATS user: commands to any device, heartbeats, its own inbox. */
export interface OperatorUser extends Credentials {
  /**
   * The inbox prefix the operator connects with (`inboxPrefix`); it may
   * subscribe to `<inboxPrefix>.>` only.
   *
   * @default {"_INBOX"}
   */
  inboxPrefix?: string;
}

/** Options of {@linkcode renderNatsServerConfig}. */
export interface NatsServerConfigOptions {
  /** TCP port for client connections. */
  port: number;
  /**
   * Address to listen on.
   *
   * @default {"127.0.0.1"}
   */
  host?: string;
  /** JetStream's store directory (inside the stack's dir). */
  storeDir: string;
  /**
   * The admin user, allowed everything. With neither an admin nor devices
   * there is no `authorization` block: any client may connect and do
   * anything.
   *
   * @default {undefined}
   */
  admin?: Credentials;
  /**
   * One user per device.
   *
   * @default {[]}
   */
  devices?: readonly DeviceUser[];
  /**
   * Replaces the `allow_responses` of every device user (normally
   * `STREAM_RESPONSES` of `devicePermissions()`), to test what happens
   * when a stream outlives it.
   *
   * @default {undefined} (the devices' own)
   */
  deviceResponses?: { max: number; expires: string };
  /**
   * Operator users, with the permissions of `operatorPermissions()`.
   *
   * @default {[]}
   */
  operators?: readonly OperatorUser[];
  /**
   * The server's name, shown in its log and `INFO`.
   *
   * @default {undefined (nats-server picks one)}
   */
  serverName?: string;
  /**
   * TLS on the client port: a `tls { … }` block (see
   * {@linkcode NatsServerTlsOptions}).
   *
   * @default {undefined (no TLS)}
   */
  tls?: NatsServerTlsOptions;
  /**
   * Authentication through the auth callout instead of static users (see
   * {@linkcode NatsServerCalloutOptions}); `admin` then becomes a static
   * user of the target account that bypasses the callout, and `devices` and
   * `operators` must be empty.
   *
   * @default {undefined (static users)}
   */
  callout?: NatsServerCalloutOptions;
  /**
   * Makes the server a node of a cluster: a `cluster { … }` block (see
   * {@linkcode NatsServerClusterOptions}). Give each node its own
   * `serverName` (JetStream in a cluster needs unique names) and its own
   * `storeDir`.
   *
   * @default {undefined (a single server)}
   */
  cluster?: NatsServerClusterOptions;
  /**
   * Port of the HTTP monitoring endpoint (`/varz`, `/routez`, `/healthz`,
   * …) on `host`; it has no authentication, so keep it on loopback.
   *
   * @default {undefined (no monitoring endpoint)}
   */
  monitorPort?: number;
  /**
   * Raw nats-server config text appended after the generated config, for
   * what these options do not model (a `tls { … }` block, `max_payload`, …).
   * It is neither checked nor escaped: quote values with
   * {@linkcode quoteNatsConfigString}, and give file paths absolute, since
   * nats-server resolves them against its working directory.
   *
   * @default {""}
   */
  extraConfig?: string;
}

/**
 * Quotes `value` as a nats-server config string. Rejects control characters
 * other than tab and newline, which have escapes.
 *
 * @example
 * ```ts
 * import { quoteNatsConfigString } from "@harmony/fleet/e2e";
 * quoteNatsConfigString('a"b'); // "\"a\\\"b\""
 * ```
 */
export function quoteNatsConfigString(value: string): string {
  let out = '"';
  for (const char of value) {
    if (char === "\\") out += "\\\\";
    else if (char === '"') out += '\\"';
    else if (char === "\n") out += "\\n";
    else if (char === "\t") out += "\\t";
    else if (char === "\r") out += "\\r";
    else if (char < " " || char === "\x7f") {
      throw new RangeError(
        `Cannot quote ${
          JSON.stringify(value)
        } for nats-server: it contains control character ${
          JSON.stringify(char)
        }`,
      );
    } else out += char;
  }
  return out + '"';
}

function assertPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(
      `Invalid port ${port}: expected an integer in 1..65535`,
    );
  }
}

/**
 * Renders a nats-server config: listens on `host:port`, JetStream on with its
 * store in `storeDir`, and `authorization` with an admin user (no
 * restriction), one user per device with `devicePermissions()` (subscribe
 * `device-commands.<id>.>`, publish `device-heartbeat.<id>`, answer the
 * requests it receives with as many messages as a stream needs) and one
 * per operator with `operatorPermissions()`; no `authorization` at all
 * when there is no user. `extraConfig` comes last, as is.
 * Pure: returns the text.
 *
 * @example
 * ```ts
 * import { renderNatsServerConfig } from "@harmony/fleet/e2e";
 * const text = renderNatsServerConfig({
 *   port: 4222,
 *   storeDir: "/tmp/stack/jetstream",
 *   admin: { user: "admin", password: "s3cret" },
 *   devices: [{ deviceId: "d1", user: "device-d1", password: "pw" }],
 * });
 * text.includes('allow: ["device-commands.d1.>"]'); // true
 * ```
 */
export function renderNatsServerConfig(
  options: NatsServerConfigOptions,
): string {
  assertPort(options.port);
  const q = quoteNatsConfigString;
  const host = options.host ?? "127.0.0.1";
  const lines: string[] = [
    "# Generated by @harmony/fleet e2e; do not edit.",
    `listen: ${q(`${host}:${options.port}`)}`,
  ];
  if (options.serverName !== undefined) {
    lines.push(`server_name: ${q(options.serverName)}`);
  }
  if (options.monitorPort !== undefined) {
    assertPort(options.monitorPort);
    lines.push(`http: ${q(`${host}:${options.monitorPort}`)}`);
  }
  lines.push(
    "jetstream {",
    `  store_dir: ${q(options.storeDir)}`,
    "}",
  );
  const devices = options.devices ?? [];
  const operators = options.operators ?? [];
  if (options.callout) {
    if (devices.length > 0 || operators.length > 0) {
      throw new RangeError(
        "Cannot render the nats-server config: static devices or operators and the auth callout exclude each other",
      );
    }
    lines.push(...renderCalloutServerConfig(options.callout, options.admin, q));
  } else if (options.admin || devices.length > 0 || operators.length > 0) {
    lines.push("authorization {", "  users: [");
    const users = new Set<string>();
    if (options.admin) {
      users.add(options.admin.user);
      lines.push(
        `    { user: ${q(options.admin.user)}, password: ${
          q(options.admin.password)
        } }`,
      );
    }
    const addUser = (user: Credentials, permissions: NatsPermissions) => {
      if (users.has(user.user)) {
        throw new RangeError(
          `Cannot render the nats-server config: user "${user.user}" appears twice`,
        );
      }
      users.add(user.user);
      lines.push(
        `    {`,
        `      user: ${q(user.user)}, password: ${q(user.password)}`,
        ...renderPermissions(permissions),
        `    }`,
      );
    };
    for (const device of devices) {
      assertDeviceId(device.deviceId);
      const permissions = devicePermissions(device.deviceId);
      if (options.deviceResponses !== undefined) {
        permissions.allow_responses = {
          ...options.deviceResponses,
          expiresMs: Number.NaN,
        };
      }
      addUser(device, permissions);
    }
    for (const operator of operators) {
      addUser(
        operator,
        operatorPermissions({ inboxPrefix: operator.inboxPrefix }),
      );
    }
    lines.push("  ]", "}");
  }
  if (options.tls) lines.push(...renderNatsServerTls(options.tls));
  if (options.cluster) {
    lines.push(...renderNatsServerCluster(options.cluster, host));
  }
  if (options.extraConfig) lines.push(options.extraConfig.trimEnd());
  lines.push("");
  return lines.join("\n");
}
/** TLS of a nats-server's client port. */
export interface NatsServerTlsOptions {
  /** The server's certificate (PEM), absolute path. */
  certFile: string;
  /** Its private key (PEM), absolute path. */
  keyFile: string;
  /**
   * The CA that signed the client certificates, absolute path (needed with
   * `verify`).
   *
   * @default {undefined (the system's CAs)}
   */
  caFile?: string;
  /**
   * Require a client certificate signed by `caFile` (mutual TLS).
   *
   * @default {false}
   */
  verify?: boolean;
  /**
   * TLS handshake first, before the server's `INFO`: what a Deno client
   * needs to present a client certificate.
   *
   * @default {false}
   */
  handshakeFirst?: boolean;
}

/**
 * Renders the `tls { … }` block of a nats-server config, one line each.
 *
 * @example
 * ```ts
 * import { renderNatsServerTls } from "@harmony/fleet/e2e";
 * renderNatsServerTls({ certFile: "/s.pem", keyFile: "/s-key.pem", verify: true })
 *   .includes("  verify: true"); // true
 * ```
 */
export function renderNatsServerTls(tls: NatsServerTlsOptions): string[] {
  const q = quoteNatsConfigString;
  return [
    "tls {",
    `  cert_file: ${q(tls.certFile)}`,
    `  key_file: ${q(tls.keyFile)}`,
    ...(tls.caFile === undefined ? [] : [`  ca_file: ${q(tls.caFile)}`]),
    ...(tls.verify ? ["  verify: true"] : []),
    ...(tls.handshakeFirst ? ["  handshake_first: true"] : []),
    "}",
  ];
}

/** The `cluster { … }` block of one node of a nats-server cluster. */
export interface NatsServerClusterOptions {
  /** The cluster's name; the same on every node. */
  name: string;
  /** The port this node listens on for routes from the other nodes. */
  port: number;
  /**
   * The route URLs of the other nodes, e.g. `nats-route://127.0.0.1:6223`.
   * Leave this node's own out: nats-server does not route to itself, but
   * counts it when it guesses the size of a new JetStream cluster (then
   * one too many, and a stream with 3 replicas on 3 nodes may find "no
   * suitable peers for placement").
   */
  routes: readonly string[];
}

/**
 * Renders the `cluster { … }` block of a nats-server config: the cluster's
 * name, the route listener on `host:port` and the routes to the other
 * nodes. Routes carry no credentials: they are meant for loopback.
 *
 * @example
 * ```ts
 * import { renderNatsServerCluster } from "@harmony/fleet/e2e";
 * renderNatsServerCluster({
 *   name: "c1",
 *   port: 6222,
 *   routes: ["nats-route://127.0.0.1:6222", "nats-route://127.0.0.1:6223"],
 * }).includes('  listen: "127.0.0.1:6222"'); // true
 * ```
 */
export function renderNatsServerCluster(
  cluster: NatsServerClusterOptions,
  host = "127.0.0.1",
): string[] {
  assertPort(cluster.port);
  const q = quoteNatsConfigString;
  for (const route of cluster.routes) {
    if (!/^nats-route:\/\/[^\s/@]+:\d+$/.test(route)) {
      throw new RangeError(
        `Cannot render the cluster block of a nats-server config: route ${
          JSON.stringify(route)
        } is not "nats-route://<host>:<port>"`,
      );
    }
  }
  return [
    "cluster {",
    `  name: ${q(cluster.name)}`,
    `  listen: ${q(`${host}:${cluster.port}`)}`,
    `  routes: [${cluster.routes.map(q).join(", ")}]`,
    "}",
  ];
}

/** The admin user of test nats-servers: allowed everything. */
export const TEST_ADMIN: Readonly<Credentials> = Object.freeze({
  user: "admin",
  password: "admin-pw",
});

// The `permissions: { … }` block of one user, from the contracts' data.
function renderPermissions(permissions: NatsPermissions): string[] {
  const q = quoteNatsConfigString;
  const list = (subjects: readonly string[]) => subjects.map(q).join(", ");
  const lines = [
    `      permissions: {`,
    `        publish: { allow: [${list(permissions.publish.allow)}] }`,
    `        subscribe: { allow: [${list(permissions.subscribe.allow)}] }`,
  ];
  const responses = permissions.allow_responses;
  if (responses !== undefined) {
    lines.push(
      `        allow_responses: { max: ${responses.max}, expires: ${
        q(responses.expires)
      } }`,
    );
  }
  lines.push(`      }`);
  return lines;
}
