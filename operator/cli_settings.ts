import {
  type NatsAuth,
  type ParsedServerUrls,
  parseServerUrls,
  ServerUrlError,
} from "../nats/mod.ts";
import { CliUsageError } from "./cli_errors.ts";

/** Where NATS is when no flag, variable or context says. */
export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";

/** One setting's value and where it came from (`--server`, `NATS_URL`, …). */
export interface Setting {
  /** The value as given. */
  value: string;
  /** Where it came from, for messages: a flag, a variable or a context field. */
  from: string;
}

/** The connection settings one place gives: the flags, the environment or a context. */
export interface SettingsLayer {
  /** One server URL or several, comma-separated. */
  server?: Setting;
  /** User name. */
  user?: Setting;
  /** Password of the user. */
  password?: Setting;
  /** Token. */
  token?: Setting;
  /** Path of a `.creds` file. */
  creds?: Setting;
}

/** What to connect to and how to authenticate, resolved from every layer. */
export interface ConnectionSettings {
  /** The servers, checked; their `urls` carry no user info. */
  servers: ParsedServerUrls;
  /** Where the servers came from (`--server`, `NATS_URL`, … or `default`). */
  serversFrom: string;
  /** The credentials to connect with. */
  auth: NatsAuth;
  /** Where each credential came from, for messages. */
  authFrom: Partial<Record<keyof NatsAuth, string>>;
}

/**
 * Resolves the connection settings from `layers`, highest priority first
 * (the flags, then the environment): the servers come from the first layer
 * that names any, and are checked here.
 *
 * @throws {CliUsageError} for a malformed server URL, naming where it came
 *   from (`--server: Invalid NATS server URL …`).
 * @example
 * ```ts
 * import { resolveConnectionSettings } from "./cli_settings.ts";
 * const settings = resolveConnectionSettings([
 *   { server: { value: "nats://10.0.0.5", from: "--server" } },
 * ]);
 * settings.servers.urls; // ["nats://10.0.0.5:4222"]
 * ```
 */
export function resolveConnectionSettings(
  layers: readonly SettingsLayer[],
): ConnectionSettings {
  const server = layers.find((layer) => layer.server)?.server ??
    { value: DEFAULT_NATS_URL, from: "default" };
  const servers = parseServers(server);
  const auth: NatsAuth = {};
  const authFrom: ConnectionSettings["authFrom"] = {};
  const flags = layers[0] ?? {};
  for (
    const [field, key] of [
      ["user", "user"],
      ["password", "password"],
      ["token", "token"],
      ["creds", "credsFile"],
    ] as const
  ) {
    const setting = flags[field];
    if (setting === undefined) continue;
    auth[key] = setting.value;
    authFrom[key] = setting.from;
  }
  return { servers, serversFrom: server.from, auth, authFrom };
}

function parseServers(server: Setting): ParsedServerUrls {
  const list = server.value.split(",").map((s) => s.trim()).filter((s) =>
    s !== ""
  );
  try {
    return parseServerUrls(list);
  } catch (error) {
    if (!(error instanceof ServerUrlError)) throw error;
    throw new CliUsageError(`${server.from}: ${error.message}`, {
      cause: error,
      source: server.from,
    });
  }
}
