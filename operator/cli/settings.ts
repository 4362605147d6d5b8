import {
  type NatsAuth,
  type NatsTlsFiles,
  type NatsTlsSetting,
  type ParsedServerUrls,
  parseServerUrls,
  ServerUrlError,
} from "../../nats/mod.ts";
import { CliUsageError } from "./errors.ts";

/** Where NATS is when no flag, variable or context says. */
export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";

/** One setting's value and where it came from (`--server`, `NATS_URL`, …). */
export interface Setting<T = string> {
  /** The value as given. */
  value: T;
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
  /** Path of a file holding the token: `--token-file`. */
  tokenFile?: Setting;
  /** Path of a `.creds` file. */
  creds?: Setting;
  /** CA certificates (PEM) to trust: `--tlsca`, `NATS_CA`, a context's `ca`. */
  tlsCa?: Setting;
  /** Client certificate (PEM): `--tlscert`, `NATS_CERT`, a context's `cert`. */
  tlsCert?: Setting;
  /** Its private key (PEM): `--tlskey`, `NATS_KEY`, a context's `key`. */
  tlsKey?: Setting;
  /** TLS handshake first: `--tlsfirst`, a context's `tls_first`; only ever `true`. */
  tlsFirst?: Setting<boolean>;
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
  /** The TLS settings (empty: TLS only if the server asks for it). */
  tls: NatsTlsFiles;
  /** Where each TLS setting came from, for messages. */
  tlsFrom: Partial<Record<NatsTlsSetting, string>>;
}

/** The connection flags of the CLI, as parsed. */
export interface ConnectionFlags {
  /** `-s, --server`. */
  server?: string;
  /** `--user`. */
  user?: string;
  /** `--password`. */
  password?: string;
  /** `--token`. */
  token?: string;
  /** `--token-file`. */
  tokenFile?: string;
  /** `--creds`. */
  creds?: string;
  /** `--tlsca`. */
  tlsca?: string;
  /** `--tlscert`. */
  tlscert?: string;
  /** `--tlskey`. */
  tlskey?: string;
  /** `--tlsfirst`. */
  tlsfirst?: boolean;
}

/** Reads an environment variable; `undefined` when unset (or empty). */
export type EnvReader = (name: string) => string | undefined;

/**
 * The environment variables the CLI reads, as the `nats` CLI names them:
 * each stands in for the flag of the same meaning (`--tlsfirst` has none,
 * as in the `nats` CLI).
 */
export const ENV_VARS = {
  server: "NATS_URL",
  user: "NATS_USER",
  password: "NATS_PASSWORD",
  token: "NATS_TOKEN",
  creds: "NATS_CREDS",
  tlsCa: "NATS_CA",
  tlsCert: "NATS_CERT",
  tlsKey: "NATS_KEY",
} as const;

// The string flags: the layer field and the flag of each.
const FLAG_NAMES = {
  server: ["server", "--server"],
  user: ["user", "--user"],
  password: ["password", "--password"],
  token: ["token", "--token"],
  tokenFile: ["tokenFile", "--token-file"],
  creds: ["creds", "--creds"],
  tlsca: ["tlsCa", "--tlsca"],
  tlscert: ["tlsCert", "--tlscert"],
  tlskey: ["tlsKey", "--tlskey"],
} as const;

/**
 * The layer of the command line's connection flags.
 *
 * @example
 * ```ts
 * import { flagsLayer } from "./settings.ts";
 * flagsLayer({ user: "admin" }).user; // { value: "admin", from: "--user" }
 * ```
 */
export function flagsLayer(flags: ConnectionFlags): SettingsLayer {
  const layer: SettingsLayer = {};
  for (
    const flag of Object.keys(FLAG_NAMES) as (keyof typeof FLAG_NAMES)[]
  ) {
    const value = flags[flag];
    const [field, from] = FLAG_NAMES[flag];
    if (value !== undefined) layer[field] = { value, from };
  }
  if (flags.tlsfirst === true) {
    layer.tlsFirst = { value: true, from: "--tlsfirst" };
  }
  return layer;
}

/**
 * The layer of the environment: {@linkcode ENV_VARS}, empty ones ignored.
 *
 * @example
 * ```ts
 * import { envLayer } from "./settings.ts";
 * envLayer((name) => name === "NATS_USER" ? "admin" : undefined).user;
 * // { value: "admin", from: "NATS_USER" }
 * ```
 */
export function envLayer(getEnv: EnvReader): SettingsLayer {
  const layer: SettingsLayer = {};
  for (const field of Object.keys(ENV_VARS) as (keyof typeof ENV_VARS)[]) {
    const value = getEnv(ENV_VARS[field]);
    if (value !== undefined && value !== "") {
      layer[field] = { value, from: ENV_VARS[field] };
    }
  }
  return layer;
}

type CredentialField = "user" | "password" | "token" | "tokenFile" | "creds";
type AuthKind = "user/password" | "token" | "token file" | "creds";

const CREDENTIAL_FIELDS: readonly CredentialField[] = [
  "user",
  "password",
  "token",
  "tokenFile",
  "creds",
];
const KIND: Readonly<Record<CredentialField, AuthKind>> = {
  user: "user/password",
  password: "user/password",
  token: "token",
  tokenFile: "token file",
  creds: "creds",
};
const AUTH_KEY: Readonly<Record<CredentialField, keyof NatsAuth>> = {
  user: "user",
  password: "password",
  token: "token",
  tokenFile: "tokenFile",
  creds: "credsFile",
};

/**
 * Resolves the connection settings from `layers`, highest priority first
 * (the flags, then the environment, then a context), as the `nats` CLI
 * does:
 *
 * - the servers come from the first layer that names any (else
 *   {@linkcode DEFAULT_NATS_URL}), and are checked here; credentials in a
 *   server URL (`nats://user:password@host`, `nats://token@host`) belong to
 *   that layer, and are refused when the same layer gives credentials too;
 * - the kind of credentials (user/password, token, token file or creds) is
 *   that of the first layer giving any; each of its fields then comes from
 *   the first layer that has it (`--user` with `NATS_PASSWORD` works), and
 *   other kinds below are ignored (`--token` overrides a context's `creds`,
 *   `--token-file` a `NATS_TOKEN`);
 * - each TLS setting (CA, certificate, key, TLS first) comes from the first
 *   layer that has it, as the `nats` CLI lays flags over a context field
 *   by field; they are checked when connecting (`tlsConnectionOptions`).
 *
 * @throws {CliUsageError} for a malformed server URL, naming where it came
 *   from (`--server: Invalid NATS server URL …`), or credentials given both
 *   in a URL and beside it.
 * @example
 * ```ts
 * import { resolveConnectionSettings } from "./settings.ts";
 * const settings = resolveConnectionSettings([
 *   { server: { value: "nats://admin:s3cret@10.0.0.5", from: "--server" } },
 * ]);
 * settings.servers.urls; // ["nats://10.0.0.5:4222"]
 * settings.auth; // { user: "admin", password: "s3cret" }
 * ```
 */
export function resolveConnectionSettings(
  layers: readonly SettingsLayer[],
): ConnectionSettings {
  const index = layers.findIndex((layer) => layer.server !== undefined);
  const server = index === -1
    ? { value: DEFAULT_NATS_URL, from: "default" }
    : layers[index].server!;
  const servers = parseServers(server);
  const withUrlCredentials = index === -1
    ? layers
    : layers.map((layer, i) =>
      i === index ? addUrlCredentials(layer, servers, server) : layer
    );
  const { auth, authFrom } = resolveAuth(withUrlCredentials);
  return {
    servers,
    serversFrom: server.from,
    auth,
    authFrom,
    ...resolveTls(layers),
  };
}

const TLS_FIELDS = [
  ["tlsCa", "caFile"],
  ["tlsCert", "certFile"],
  ["tlsKey", "keyFile"],
] as const;

// Each TLS setting from the first layer that has it, as the nats CLI merges
// flags over a context field by field.
function resolveTls(
  layers: readonly SettingsLayer[],
): Pick<ConnectionSettings, "tls" | "tlsFrom"> {
  const tls: NatsTlsFiles = {};
  const tlsFrom: ConnectionSettings["tlsFrom"] = {};
  for (const [field, setting] of TLS_FIELDS) {
    const given = layers.find((layer) => layer[field] !== undefined)?.[field];
    if (given === undefined) continue;
    tls[setting] = given.value;
    tlsFrom[setting] = given.from;
  }
  const first = layers.find((layer) => layer.tlsFirst?.value === true)
    ?.tlsFirst;
  if (first !== undefined) {
    tls.handshakeFirst = true;
    tlsFrom.handshakeFirst = first.from;
  }
  return { tls, tlsFrom };
}

function addUrlCredentials(
  layer: SettingsLayer,
  servers: ParsedServerUrls,
  server: Setting,
): SettingsLayer {
  const { credentials } = servers;
  if (credentials === undefined) return layer;
  const given = CREDENTIAL_FIELDS.find((field) => layer[field] !== undefined);
  if (given !== undefined) {
    throw new CliUsageError(
      `${server.from}: the URL carries credentials and ${
        layer[given]!.from
      } is given too; give them once`,
      { source: server.from },
    );
  }
  const from = `${server.from} (URL user info)`;
  return "token" in credentials
    ? { ...layer, token: { value: credentials.token, from } }
    : {
      ...layer,
      user: { value: credentials.user, from },
      password: { value: credentials.password, from },
    };
}

function resolveAuth(
  layers: readonly SettingsLayer[],
): Pick<ConnectionSettings, "auth" | "authFrom"> {
  const auth: NatsAuth = {};
  const authFrom: ConnectionSettings["authFrom"] = {};
  const top = layers.find((layer) =>
    CREDENTIAL_FIELDS.some((field) => layer[field] !== undefined)
  );
  if (top === undefined) return { auth, authFrom };
  // Two kinds in the top layer are kept, for authConnectionOptions to refuse.
  const kinds = new Set(
    CREDENTIAL_FIELDS.filter((field) => top[field] !== undefined).map((
      field,
    ) => KIND[field]),
  );
  for (const field of CREDENTIAL_FIELDS) {
    if (!kinds.has(KIND[field])) continue;
    const setting = layers.find((layer) => layer[field] !== undefined)?.[
      field
    ];
    if (setting === undefined) continue;
    auth[AUTH_KEY[field]] = setting.value;
    authFrom[AUTH_KEY[field]] = setting.from;
  }
  return { auth, authFrom };
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
