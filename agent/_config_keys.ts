// Every key of the agent's TOML config, with its default and range: one
// list for the unknown-key check (config.ts) and for `--help` (_args.ts).
// Private to agent/; the constants are exported by config.ts.

import { LogLevel } from "./log.ts";

/** The values of `[agent] log_level`, lowest first. */
export const LOG_LEVELS: readonly LogLevel[] = Object.values(LogLevel);

/** Default of `[agent] heartbeat_interval_s`. */
export const DEFAULT_HEARTBEAT_INTERVAL_S = 10;
/**
 * Smallest `[agent] heartbeat_interval_s`: ten beats a second per device is
 * already more than anyone watching heartbeats needs.
 */
export const MIN_HEARTBEAT_INTERVAL_S = 0.1;
/**
 * Largest `[agent] heartbeat_interval_s`: a day. Well below what a timer
 * can hold (2^31 - 1 ms, about 24.8 days), beyond which it would fire at
 * once, over and over.
 */
export const MAX_HEARTBEAT_INTERVAL_S = 86_400;

/** One key of a config table. */
export interface ConfigKey {
  /** Its name in the table. */
  name: string;
  /** A value as it would be written, e.g. `10` or `"<id>"`. */
  example: string;
  /** Lines saying whether it is required, its default, its range. */
  help: readonly string[];
}

/** The tables of the config, in order, and their keys. */
export const CONFIG_TABLES: Readonly<Record<string, readonly ConfigKey[]>> = {
  agent: [
    {
      name: "device_id",
      example: '"vm-device-00"',
      help: ["required; 1–128 characters of A-Z a-z 0-9 _ -"],
    },
    {
      name: "runtime_enabled",
      example: "true",
      help: [
        "default true; true: the podman API socket must answer at start",
        "([runtime] socket, else CONTAINER_HOST, else",
        "$XDG_RUNTIME_DIR/podman/podman.sock, else /run/podman/podman.sock);",
        'false: no podman, runtime "disabled": logs and container exec',
        "answer unsupported (ping, heartbeat and host exec still work)",
      ],
    },
    {
      name: "heartbeat_interval_s",
      example: String(DEFAULT_HEARTBEAT_INTERVAL_S),
      help: [
        `default ${DEFAULT_HEARTBEAT_INTERVAL_S}; seconds between heartbeats, from ${MIN_HEARTBEAT_INTERVAL_S} to ${MAX_HEARTBEAT_INTERVAL_S}`,
      ],
    },
    {
      name: "log_level",
      example: '"info"',
      help: [
        `default "info"; one of ${LOG_LEVELS.map((l) => `"${l}"`).join(", ")};`,
        'at "info" a successful ping is only counted (in a "commands" line',
        'every 60 s); "debug" adds a "command" line per ping',
      ],
    },
    {
      name: "labels",
      example: '{ site = "berlin", role = "edge" }',
      help: [
        "optional; sent in every heartbeat, for `fleet devices` and",
        "targeting (-l site=berlin). At most 64; keys as Kubernetes label",
        "keys ([prefix/]name, name 1-63 of A-Z a-z 0-9 . _ -, beginning and",
        "ending alphanumeric), values empty or the same syntax as a name",
      ],
    },
  ],
  nats: [
    {
      name: "servers",
      example: '["nats://127.0.0.1:4222"]',
      help: [
        "required; tried in order; nats://host[:port] or tls://host[:port]",
        "(tls: TLS required); port 1–65535, default 4222; user:password@",
        "or token@ in a URL are taken as the credentials",
      ],
    },
    {
      name: "user",
      example: '"device-vm-device-00"',
      help: ["user/password authentication (with password)"],
    },
    { name: "password", example: '"…"', help: ["needs user"] },
    { name: "token", example: '"…"', help: ["token authentication"] },
    {
      name: "creds_file",
      example: '"device.creds"',
      help: [
        "NATS .creds file (user JWT + NKey seed), relative to the config",
        "file's folder; read and checked at start",
      ],
    },
    {
      name: "tls_ca_file",
      example: '"ca.pem"',
      help: [
        "CA certificates (PEM) to trust besides the system's; any tls_* key",
        "makes TLS required. tls_* files are relative to the config file's",
        "folder and read and checked at start",
      ],
    },
    {
      name: "tls_cert_file",
      example: '"device.pem"',
      help: [
        "client certificate (PEM) for mutual TLS; needs tls_key_file and",
        "tls_handshake_first = true (Deno cannot present a client",
        "certificate when it upgrades a plain connection to TLS)",
      ],
    },
    {
      name: "tls_key_file",
      example: '"device-key.pem"',
      help: ["its private key (PEM, unencrypted)"],
    },
    {
      name: "tls_handshake_first",
      example: "true",
      help: [
        "default false; TLS handshake before the server's INFO: the",
        "server's tls block needs handshake_first: true",
      ],
    },
  ],
  runtime: [
    {
      name: "socket",
      example: '"/run/podman/podman.sock"',
      help: [
        "optional; the podman API socket (a path, relative to the config",
        "file's folder, or unix:///path); default: CONTAINER_HOST, else the",
        "standard paths (see runtime_enabled)",
      ],
    },
    {
      name: "container_label",
      example: '"harmony.fleet/device=vm-device-00"',
      help: [
        'optional; "key=value" or "key": only containers with this label',
        "are visible to logs and exec, any other is not_found; default:",
        "every container of the socket's podman",
      ],
    },
  ],
  exec: [
    {
      name: "enabled",
      example: "true",
      help: [
        "default true; exec in a container (false: forbidden)",
      ],
    },
    {
      name: "allow_host",
      example: "false",
      help: [
        "default false; exec with host: true runs the argv on the device",
        "itself, as the agent's user, with its environment (no shell); false:",
        "forbidden",
      ],
    },
  ],
};

/** The tables that may be left out. */
export const OPTIONAL_TABLES: readonly string[] = ["runtime", "exec"];

/** The config's keys as `--help` lists them. */
export function configKeysHelp(): string {
  const lines = [
    "Config file (TOML; an unknown key is an error, exit 2):",
  ];
  for (const [table, keys] of Object.entries(CONFIG_TABLES)) {
    lines.push(
      `  [${table}]${OPTIONAL_TABLES.includes(table) ? "  (optional)" : ""}`,
    );
    for (const key of keys) {
      lines.push(`    ${key.name} = ${key.example}`);
      for (const help of key.help) lines.push(`        ${help}`);
    }
  }
  lines.push(
    "  Credentials: at most one of user/password, token, creds_file or URL",
    "  credentials; none for a server without authentication.",
  );
  return lines.join("\n");
}
