/**
 * The auth-callout service's TOML config: which NATS servers, as which
 * `auth_users` user, which keys sign and encrypt, which OIDC issuer to
 * trust, and who is an operator.
 *
 * @module
 */
import { parse as parseToml, TomlError } from "smol-toml";
import { fromCurveSeed, fromSeed } from "@nats-io/nkeys";
import {
  type NatsAuth,
  NatsTlsError,
  type NatsTlsFiles,
  parseServerUrls,
  tlsConnectionOptions,
  type TlsSettingsOptions,
} from "../nats/mod.ts";
import {
  ALLOWED_ALGORITHMS,
  type CalloutAlgorithm,
  type CalloutConfigErrorOptions,
  CONFIG_KEYS,
  DEFAULTS,
} from "./_config_keys.ts";

export {
  ALLOWED_ALGORITHMS,
  type CalloutAlgorithm,
  type CalloutConfigErrorOptions,
} from "./_config_keys.ts";

/** The `[oidc]` table: whom to trust and how strictly. */
export interface CalloutOidcConfig {
  /** `issuer`: the OIDC issuer URL; tokens' `iss` must equal it. */
  issuer: string;
  /** `jwks_uri`: where the keys are; `undefined` means OIDC discovery from `issuer`. */
  jwksUri?: string;
  /** `audience`: tokens' `aud` must contain it. */
  audience: string;
  /** `algorithms`: the signature algorithms accepted (default ES256, RS256). */
  algorithms: CalloutAlgorithm[];
  /** `clock_leeway_s`: tolerance on `exp` and `nbf` (default 30). */
  clockLeewayS: number;
  /** `jwks_refresh_min_interval_s`: fewest seconds between two JWKS fetches on an unknown `kid` (default 30). */
  jwksRefreshMinIntervalS: number;
  /** `jwks_cache_max_age_s`: keys are refetched when older than this (default 600). */
  jwksCacheMaxAgeS: number;
  /** `max_token_bytes`: longer tokens are refused unread (default 8192). */
  maxTokenBytes: number;
}

/** The auth-callout service's configuration, as read from its TOML file. */
export interface CalloutConfig {
  /**
   * `[nats]`: servers, the `auth_users` credentials the service connects
   * with, and TLS (`tls_ca_file`, `tls_cert_file`, `tls_key_file`,
   * `tls_handshake_first`) as the agent reads them.
   */
  nats: NatsAuth & { servers: string[]; tls?: NatsTlsFiles };
  /** `[callout] issuer_seed_file`: the issuer account's nkey seed (`SA…`), read from the file. */
  issuerSeed: Uint8Array;
  /** `[callout] xkey_seed_file`: the curve seed (`SX…`) for encrypted requests, when set. */
  xkeySeed?: Uint8Array;
  /** `[callout] account`: the account users are placed in (the user JWT's `aud`), default `"APP"`. */
  account: string;
  /** `[callout] queue_group`: several services share the load, default `"fleet-callout"`. */
  queueGroup: string;
  /** `[callout] operator_subjects`: token subjects that get the operator permissions. */
  operatorSubjects: string[];
  /** `[callout] operator_inbox_prefix`: operators' inbox prefix, default `"_INBOX"`. */
  operatorInboxPrefix: string;
  /** The `[oidc]` table. */
  oidc: CalloutOidcConfig;
}

/**
 * Thrown when the config cannot be loaded: the message names the file, the
 * key and what was expected (never a secret).
 *
 * @example
 * ```ts
 * import { CalloutConfigError, parseCalloutConfig } from "./config.ts";
 * await parseCalloutConfig("[nats]\n", "callout.toml").catch((error) => {
 *   error instanceof CalloutConfigError; // true
 * });
 * ```
 */
export class CalloutConfigError extends Error {
  /** The config file, as given. */
  readonly path: string;
  /** The dotted key at fault, when there is one (`"oidc.audience"`). */
  readonly key?: string;

  /** Builds the error about `path` (and `options.key`). */
  constructor(
    path: string,
    message: string,
    options: CalloutConfigErrorOptions = {},
  ) {
    super(message, options);
    this.name = "CalloutConfigError";
    this.path = path;
    this.key = options.key;
  }
}

type Table = Record<string, unknown>;

function isTable(value: unknown): value is Table {
  return typeof value === "object" && value !== null &&
    !Array.isArray(value) && !(value instanceof Date);
}

/**
 * Reads and checks the config file at `path` (and the seed files it names).
 *
 * @throws {CalloutConfigError} naming the file and key.
 * @example
 * ```ts ignore
 * import { loadCalloutConfig } from "./config.ts";
 * const config = await loadCalloutConfig("/etc/fleet-callout/callout.toml");
 * ```
 */
export async function loadCalloutConfig(path: string): Promise<CalloutConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    throw new CalloutConfigError(
      path,
      `Cannot read the callout config "${path}": ${
        cause instanceof Error ? cause.message : cause
      }`,
      { cause },
    );
  }
  return await parseCalloutConfig(text, path);
}

/**
 * Parses and checks config text; `path` names it in errors and is the base
 * of relative seed file paths.
 *
 * @throws {CalloutConfigError} naming the file and key.
 * @example
 * ```ts ignore
 * import { parseCalloutConfig } from "./config.ts";
 * const config = await parseCalloutConfig(text, "callout.toml");
 * ```
 */
export async function parseCalloutConfig(
  text: string,
  path: string,
): Promise<CalloutConfig> {
  const fail = (message: string, key?: string, cause?: unknown): never => {
    throw new CalloutConfigError(
      path,
      `Invalid callout config "${path}"${
        key ? `, key "${key}"` : ""
      }: ${message}`,
      { key, cause },
    );
  };
  let root: Table;
  try {
    root = parseToml(text) as Table;
  } catch (cause) {
    const where = cause instanceof TomlError
      ? ` at line ${cause.line}, column ${cause.column}`
      : "";
    return fail(`not valid TOML${where}`, undefined, cause);
  }
  for (const [table, value] of Object.entries(root)) {
    const keys = CONFIG_KEYS[table];
    if (!keys) {
      fail(
        `unknown table; expected one of ${
          Object.keys(CONFIG_KEYS).map((k) => `[${k}]`).join(", ")
        }`,
        table,
      );
    }
    if (!isTable(value)) fail("expected a table", table);
    for (const key of Object.keys(value as Table)) {
      if (!keys.includes(key)) {
        fail(
          `unknown key; expected one of ${keys.join(", ")}`,
          `${table}.${key}`,
        );
      }
    }
  }
  const table = (name: string): Table => (root[name] as Table) ?? {};
  const nats = table("nats");
  const callout = table("callout");
  const oidc = table("oidc");
  const base = new URL(
    `file://${path.startsWith("/") ? "" : `${Deno.cwd()}/`}${path}`,
  );

  const str = (t: Table, tname: string, key: string, required: boolean) => {
    const value = t[key];
    if (value === undefined) {
      if (required) fail("required, a non-empty string", `${tname}.${key}`);
      return undefined;
    }
    if (typeof value !== "string" || value === "") {
      fail("expected a non-empty string", `${tname}.${key}`);
    }
    return value as string;
  };
  const num = (
    t: Table,
    tname: string,
    key: string,
    fallback: number,
    [min, max]: [number, number],
  ) => {
    const value = t[key] ?? fallback;
    if (typeof value !== "number" || !(value >= min && value <= max)) {
      fail(`expected a number in ${min}..${max}`, `${tname}.${key}`);
    }
    return value as number;
  };
  const strings = (
    t: Table,
    tname: string,
    key: string,
    fallback: string[],
  ) => {
    const value = t[key] ?? fallback;
    if (
      !Array.isArray(value) ||
      !value.every((v) => typeof v === "string" && v !== "")
    ) {
      fail("expected an array of non-empty strings", `${tname}.${key}`);
    }
    return value as string[];
  };

  // [nats]
  const servers = nats.servers === undefined
    ? fail("required, a server URL or an array of them", "nats.servers")
    : typeof nats.servers === "string"
    ? [nats.servers]
    : strings(nats, "nats", "servers", []);
  if (servers.length === 0) {
    fail("expected at least one server", "nats.servers");
  }
  try {
    parseServerUrls(servers);
  } catch (cause) {
    fail((cause as Error).message, "nats.servers", cause);
  }
  const auth: NatsAuth = {
    user: str(nats, "nats", "user", false),
    password: typeof nats.password === "string" ? nats.password : undefined,
    token: typeof nats.token === "string" ? nats.token : undefined,
    credsFile: str(nats, "nats", "creds_file", false),
  };
  for (const secret of ["password", "token"] as const) {
    if (nats[secret] !== undefined && typeof nats[secret] !== "string") {
      fail("expected a string", `nats.${secret}`);
    }
  }
  if (auth.password !== undefined && auth.user === undefined) {
    fail("a password needs a user", "nats.user");
  }
  if (auth.credsFile) auth.credsFile = resolvePath(base, auth.credsFile);
  const tls: NatsTlsFiles = {};
  for (
    const [key, setting] of [
      ["tls_ca_file", "caFile"],
      ["tls_cert_file", "certFile"],
      ["tls_key_file", "keyFile"],
    ] as const
  ) {
    const file = str(nats, "nats", key, false);
    if (file !== undefined) tls[setting] = resolvePath(base, file);
  }
  if (
    nats.tls_handshake_first !== undefined &&
    typeof nats.tls_handshake_first !== "boolean"
  ) {
    fail("expected true or false", "nats.tls_handshake_first");
  }
  if (nats.tls_handshake_first === true) tls.handshakeFirst = true;
  try {
    await tlsConnectionOptions(tls, { names: TLS_NAMES });
  } catch (cause) {
    if (!(cause instanceof NatsTlsError)) throw cause;
    fail(
      cause.message,
      `nats.${TLS_KEYS[cause.setting]}`,
      cause,
    );
  }

  // [callout]
  const seedFile = str(callout, "callout", "issuer_seed_file", true)!;
  const issuerSeed = await readSeed(
    resolvePath(base, seedFile),
    "callout.issuer_seed_file",
    "account",
    fail,
  );
  const xkeyFile = str(callout, "callout", "xkey_seed_file", false);
  const xkeySeed = xkeyFile === undefined ? undefined : await readSeed(
    resolvePath(base, xkeyFile),
    "callout.xkey_seed_file",
    "curve",
    fail,
  );
  const account = str(callout, "callout", "account", false) ?? DEFAULTS.account;
  const queueGroup = str(callout, "callout", "queue_group", false) ??
    DEFAULTS.queueGroup;
  if (!/^[^.*>\s]+$/.test(queueGroup)) {
    fail(
      "expected one subject token (no dot, wildcard or space)",
      "callout.queue_group",
    );
  }
  const operatorSubjects = strings(callout, "callout", "operator_subjects", []);
  for (const subject of operatorSubjects) {
    if (subject.startsWith("device-")) {
      fail(
        `"${subject}" starts with "device-", which names devices`,
        "callout.operator_subjects",
      );
    }
  }
  const operatorInboxPrefix =
    str(callout, "callout", "operator_inbox_prefix", false) ??
      DEFAULTS.operatorInboxPrefix;
  if (!/^[^.*>\s]+(\.[^.*>\s]+)*$/.test(operatorInboxPrefix)) {
    fail(
      "expected subject tokens without wildcards or whitespace",
      "callout.operator_inbox_prefix",
    );
  }

  // [oidc]
  const issuer = str(oidc, "oidc", "issuer", true)!;
  const jwksUri = str(oidc, "oidc", "jwks_uri", false);
  for (const [key, value] of [["issuer", issuer], ["jwks_uri", jwksUri]]) {
    if (value === undefined) continue;
    let url: URL | undefined;
    try {
      url = new URL(value);
    } catch { /* below */ }
    if (!url || (url.protocol !== "https:" && url.protocol !== "http:")) {
      fail(
        `expected an http(s) URL, got ${JSON.stringify(value)}`,
        `oidc.${key}`,
      );
    }
  }
  const algorithms = strings(oidc, "oidc", "algorithms", [
    ...DEFAULTS.algorithms,
  ]);
  if (algorithms.length === 0) fail("expected at least one", "oidc.algorithms");
  for (const alg of algorithms) {
    if (!(ALLOWED_ALGORITHMS as readonly string[]).includes(alg)) {
      fail(
        `${JSON.stringify(alg)} is not allowed; expected some of ${
          ALLOWED_ALGORITHMS.join(", ")
        } (never "none" or an HMAC algorithm)`,
        "oidc.algorithms",
      );
    }
  }
  return {
    nats: {
      ...auth,
      servers,
      ...(Object.keys(tls).length > 0 ? { tls } : {}),
    },
    issuerSeed,
    xkeySeed,
    account,
    queueGroup,
    operatorSubjects,
    operatorInboxPrefix,
    oidc: {
      issuer,
      jwksUri,
      audience: str(oidc, "oidc", "audience", true)!,
      algorithms: algorithms as CalloutAlgorithm[],
      clockLeewayS: num(oidc, "oidc", "clock_leeway_s", DEFAULTS.clockLeewayS, [
        0,
        300,
      ]),
      jwksRefreshMinIntervalS: num(
        oidc,
        "oidc",
        "jwks_refresh_min_interval_s",
        DEFAULTS.jwksRefreshMinIntervalS,
        [0, 3600],
      ),
      jwksCacheMaxAgeS: num(
        oidc,
        "oidc",
        "jwks_cache_max_age_s",
        DEFAULTS.jwksCacheMaxAgeS,
        [0.1, 86_400],
      ),
      maxTokenBytes: num(
        oidc,
        "oidc",
        "max_token_bytes",
        DEFAULTS.maxTokenBytes,
        [256, 1_048_576],
      ),
    },
  };
}

const TLS_KEYS = {
  caFile: "tls_ca_file",
  certFile: "tls_cert_file",
  keyFile: "tls_key_file",
  handshakeFirst: "tls_handshake_first",
} as const;

const TLS_NAMES: TlsSettingsOptions["names"] = {
  caFile: '"nats.tls_ca_file"',
  certFile: '"nats.tls_cert_file"',
  keyFile: '"nats.tls_key_file"',
  handshakeFirst: '"nats.tls_handshake_first" = true',
};

function resolvePath(base: URL, path: string): string {
  return path.startsWith("/")
    ? path
    : decodeURIComponent(new URL(path, base).pathname);
}

async function readSeed(
  path: string,
  key: string,
  kind: "account" | "curve",
  fail: (message: string, key?: string, cause?: unknown) => never,
): Promise<Uint8Array> {
  let text: string;
  try {
    text = (await Deno.readTextFile(path)).trim();
  } catch (cause) {
    return fail(
      `cannot read "${path}": ${
        cause instanceof Error ? cause.message : cause
      }`,
      key,
      cause,
    );
  }
  const seed = new TextEncoder().encode(text);
  const expected = kind === "account"
    ? "an account nkey seed (SA…)"
    : "a curve (xkey) seed (SX…)";
  try {
    if (kind === "account") {
      if (!fromSeed(seed).getPublicKey().startsWith("A")) throw new Error();
    } else fromCurveSeed(seed);
  } catch {
    // Never quote the file's content: it is a secret.
    return fail(`"${path}" does not hold ${expected}`, key);
  }
  return seed;
}
