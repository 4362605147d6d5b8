import { deviceIdProblem, type DeviceLabels } from "../contracts/mod.ts";
import { labelsConfig } from "./_config_labels.ts";
import { parse as parseToml, TomlError } from "smol-toml";
import {
  NatsAuthError,
  NatsTlsError,
  readCredsFile,
  tlsConnectionOptions,
} from "../nats/mod.ts";
import { type AgentNatsConfig, natsConfig } from "./_config_nats.ts";
import { TLS_KEYS, TLS_NAMES, tlsProblem } from "./_config_tls.ts";
import { LogLevel } from "./log.ts";
import {
  CONFIG_TABLES,
  DEFAULT_HEARTBEAT_INTERVAL_S,
  LOG_LEVELS,
  MAX_HEARTBEAT_INTERVAL_S,
  MIN_HEARTBEAT_INTERVAL_S,
} from "./_config_keys.ts";
import { describe, type Fail, isTable, type Table } from "./_config_values.ts";
import {
  type AgentExecConfig,
  type AgentRuntimeConfig,
  execConfig,
  runtimeConfig,
} from "./_config_runtime.ts";

export type { AgentNatsConfig } from "./_config_nats.ts";
export type { AgentExecConfig, AgentRuntimeConfig } from "./_config_runtime.ts";

/** An agent's configuration, as read from its TOML file. */
export interface AgentConfig {
  /** The device this agent answers for: `[agent] device_id`. */
  deviceId: string;
  /** Whether to require and use podman: `[agent] runtime_enabled`, default `true`. */
  runtimeEnabled: boolean;
  /** Seconds between heartbeats: `[agent] heartbeat_interval_s`, default `10`. */
  heartbeatIntervalS: number;
  /** Lowest level written to the log: `[agent] log_level`, default `"info"`. */
  logLevel: LogLevel;
  /**
   * The device's labels, sent in every heartbeat: `[agent] labels`
   * (`{ site = "berlin", role = "edge" }`); absent when not set.
   */
  labels?: DeviceLabels;
  /** The `[nats]` table. */
  nats: AgentNatsConfig;
  /** The `[runtime]` table (optional; `{}` when absent). */
  runtime: AgentRuntimeConfig;
  /** The `[exec]` table (optional; the defaults when absent). */
  exec: AgentExecConfig;
}

/** Options of {@linkcode AgentConfigError}. */
export interface AgentConfigErrorOptions extends ErrorOptions {
  /** The dotted key the problem is about, e.g. `"agent.device_id"`. */
  key?: string;
  /** 1-based line of a TOML syntax error. */
  line?: number;
  /** 1-based column of a TOML syntax error. */
  column?: number;
}

/**
 * Thrown when an agent config cannot be loaded. The message names the file,
 * the key and what was expected.
 *
 * @example
 * ```ts
 * import { AgentConfigError, parseAgentConfig } from "@harmony/fleet/agent";
 * try {
 *   parseAgentConfig("[agent]\n", { path: "agent.toml" });
 * } catch (error) {
 *   (error as AgentConfigError).key; // "agent.device_id"
 * }
 * ```
 */
export class AgentConfigError extends Error {
  /** The config file, as given. */
  readonly path: string;
  /** The dotted key at fault, when there is one. */
  readonly key?: string;
  /** Line of a TOML syntax error, 1-based. */
  readonly line?: number;
  /** Column of a TOML syntax error, 1-based. */
  readonly column?: number;

  /** Builds the error; `problem` says what is wrong with `path`. */
  constructor(
    path: string,
    problem: string,
    options?: AgentConfigErrorOptions,
  ) {
    super(`Cannot load agent config "${path}": ${problem}`, options);
    this.name = "AgentConfigError";
    this.path = path;
    this.key = options?.key;
    this.line = options?.line;
    this.column = options?.column;
  }
}

/** Options of {@linkcode parseAgentConfig}. */
export interface ParseAgentConfigOptions {
  /**
   * Where the text came from: named in errors, and the base of a relative
   * `creds_file` or `tls_*_file`.
   *
   * @default {"agent.toml"}
   */
  path?: string;
}

export {
  DEFAULT_HEARTBEAT_INTERVAL_S,
  MAX_HEARTBEAT_INTERVAL_S,
  MIN_HEARTBEAT_INTERVAL_S,
} from "./_config_keys.ts";

const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
  "": Object.keys(CONFIG_TABLES),
  ...Object.fromEntries(
    Object.entries(CONFIG_TABLES).map((
      [table, keys],
    ) => [table, keys.map((key) => key.name)]),
  ),
};

const EXPECTED: Readonly<Record<string, string>> = {
  agent: 'with device_id = "<device id>"',
  nats: 'with servers = ["nats://<host>:4222"]',
  "agent.device_id": 'a device id such as "vm-device-00"',
};

/**
 * Reads and checks the agent config file at `path`, and the `.creds` and
 * TLS files it names, if any (read and checked, so a bad one fails here
 * rather than at connect time).
 *
 * @throws {AgentConfigError} when the file is missing, unreadable, not TOML
 * or not a valid config, its `creds_file` is missing or malformed, or a
 * `tls_*_file` is missing, unreadable or not PEM of the right kind.
 * @example
 * ```ts ignore
 * import { loadAgentConfig } from "@harmony/fleet/agent";
 * const config = await loadAgentConfig("/etc/fleet/agent.toml");
 * ```
 */
export async function loadAgentConfig(path: string): Promise<AgentConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    const problem = error instanceof Deno.errors.NotFound
      ? "the file does not exist"
      : error instanceof Deno.errors.PermissionDenied
      ? "permission denied reading the file"
      : `cannot read the file: ${(error as Error).message}`;
    throw new AgentConfigError(path, problem, { cause: error });
  }
  const config = parseAgentConfig(text, { path });
  const { credsFile } = config.nats;
  if (credsFile !== undefined) {
    // Checked now, so a bad file is a config error, not a retry loop.
    try {
      await readCredsFile(credsFile);
    } catch (error) {
      if (!(error instanceof NatsAuthError)) throw error;
      throw new AgentConfigError(
        path,
        `key "nats.creds_file": ${error.message}`,
        { key: "nats.creds_file", cause: error },
      );
    }
  }
  const { tls } = config.nats;
  if (tls !== undefined) {
    // Read and checked now too: a CA file that is not PEM would otherwise
    // be a retry loop of certificate errors.
    try {
      await tlsConnectionOptions(tls, { names: TLS_NAMES });
    } catch (error) {
      if (!(error instanceof NatsTlsError)) throw error;
      throw new AgentConfigError(path, tlsProblem(error), {
        key: TLS_KEYS[error.setting],
        cause: error,
      });
    }
  }
  return config;
}

/**
 * Parses and checks agent config TOML. Unknown keys, in any table, are
 * errors, so a typo is never silently ignored.
 *
 * @throws {AgentConfigError} naming the key and what was expected.
 * @example
 * ```ts
 * import { parseAgentConfig } from "@harmony/fleet/agent";
 * const config = parseAgentConfig(`
 * [agent]
 * device_id = "vm-device-00"
 * [nats]
 * servers = ["nats://127.0.0.1:4222"]
 * `);
 * config.heartbeatIntervalS; // 10
 * ```
 */
export function parseAgentConfig(
  text: string,
  options: ParseAgentConfigOptions = {},
): AgentConfig {
  const path = options.path ?? "agent.toml";
  const fail: Fail = (problem, key, options) => {
    throw new AgentConfigError(path, problem, { ...options, key });
  };

  let root: Table;
  try {
    root = parseToml(text) as Table;
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const reason = error.message.replace(/^Invalid TOML document: /, "")
      .split("\n")[0];
    throw new AgentConfigError(
      path,
      `not valid TOML at line ${error.line}, column ${error.column}: ${reason}`,
      { cause: error, line: error.line, column: error.column },
    );
  }
  rejectUnknownKeys(root, "", fail);

  const agent = requiredTable(root, "agent", fail);
  const nats = requiredTable(root, "nats", fail);
  const runtime = optionalTable(root, "runtime", fail);
  const exec = optionalTable(root, "exec", fail);

  const deviceId = requiredValue(agent, "agent.device_id", fail);
  if (typeof deviceId !== "string") {
    fail(
      `key "agent.device_id" must be a string, got ${describe(deviceId)}`,
      "agent.device_id",
    );
  }
  const problem = deviceIdProblem(deviceId);
  if (problem !== undefined) {
    fail(
      `key "agent.device_id" is not a valid device id (${
        JSON.stringify(deviceId)
      }): ${problem}`,
      "agent.device_id",
    );
  }

  const runtimeEnabled = agent.runtime_enabled ?? true;
  if (typeof runtimeEnabled !== "boolean") {
    fail(
      `key "agent.runtime_enabled" must be true or false, got ${
        describe(runtimeEnabled)
      }`,
      "agent.runtime_enabled",
    );
  }

  const interval = agent.heartbeat_interval_s ?? DEFAULT_HEARTBEAT_INTERVAL_S;
  if (!isHeartbeatInterval(interval)) {
    fail(
      `key "agent.heartbeat_interval_s" must be a number of seconds from ${MIN_HEARTBEAT_INTERVAL_S} to ${MAX_HEARTBEAT_INTERVAL_S}, got ${
        describe(interval)
      }`,
      "agent.heartbeat_interval_s",
    );
  }

  const logLevel = agent.log_level ?? LogLevel.Info;
  if (!LOG_LEVELS.includes(logLevel as LogLevel)) {
    fail(
      `key "agent.log_level" must be one of ${
        LOG_LEVELS.map((level) => `"${level}"`).join(", ")
      }, got ${describe(logLevel)}`,
      "agent.log_level",
    );
  }

  const labels = labelsConfig(agent.labels, fail);

  return {
    deviceId: deviceId as string,
    runtimeEnabled: runtimeEnabled as boolean,
    heartbeatIntervalS: interval as number,
    logLevel: logLevel as LogLevel,
    ...(labels === undefined ? {} : { labels }),
    nats: natsConfig(nats, path, fail),
    runtime: runtimeConfig(runtime, path, fail),
    exec: execConfig(exec, fail),
  };
}

/**
 * Whether `value` is a usable heartbeat interval: a number of seconds from
 * {@linkcode MIN_HEARTBEAT_INTERVAL_S} to {@linkcode MAX_HEARTBEAT_INTERVAL_S}.
 *
 * @example
 * ```ts
 * import { isHeartbeatInterval } from "@harmony/fleet/agent";
 * isHeartbeatInterval(10); // true
 * isHeartbeatInterval(2147484); // false
 * ```
 */
export function isHeartbeatInterval(value: unknown): value is number {
  return typeof value === "number" && value >= MIN_HEARTBEAT_INTERVAL_S &&
    value <= MAX_HEARTBEAT_INTERVAL_S;
}

function rejectUnknownKeys(
  table: Table,
  prefix: string,
  fail: Fail,
): void {
  const known = KNOWN_KEYS[prefix] ?? [];
  for (const key of Object.keys(table)) {
    if (known.includes(key)) continue;
    const dotted = prefix === "" ? key : `${prefix}.${key}`;
    const where = prefix === "" ? "at the top level" : `in [${prefix}]`;
    fail(
      `unknown key "${dotted}"; known keys ${where} are ${
        known.map((k) => `"${k}"`).join(", ")
      }`,
      dotted,
    );
  }
  if (prefix === "") {
    for (const key of known) {
      const value = table[key];
      if (isTable(value)) rejectUnknownKeys(value, key, fail);
    }
  }
}

function requiredTable(
  root: Table,
  key: string,
  fail: Fail,
): Table {
  const value = root[key];
  if (value === undefined) {
    return fail(`missing required table [${key}] (${EXPECTED[key]})`, key);
  }
  if (!isTable(value)) {
    return fail(
      `key "${key}" must be a table ([${key}]), got ${describe(value)}`,
      key,
    );
  }
  return value;
}

function optionalTable(
  root: Table,
  key: string,
  fail: Fail,
): Table | undefined {
  return root[key] === undefined ? undefined : requiredTable(root, key, fail);
}

function requiredValue(
  table: Table,
  dotted: string,
  fail: Fail,
): unknown {
  const value = table[dotted.split(".")[1]];
  if (value === undefined) {
    return fail(
      `missing required key "${dotted}" (${EXPECTED[dotted]})`,
      dotted,
    );
  }
  return value;
}
