// Every table and key of the callout's TOML config, and the defaults.
// Private to callout/; re-exported by config.ts.

/**
 * The OIDC signature algorithms the callout can be configured to accept:
 * asymmetric only. `none` and the HMAC algorithms (HS256, …) are never
 * accepted, whatever the config says.
 */
export const ALLOWED_ALGORITHMS = [
  "ES256",
  "ES384",
  "ES512",
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "EdDSA",
] as const;

/** One of {@linkcode ALLOWED_ALGORITHMS}. */
export type CalloutAlgorithm = typeof ALLOWED_ALGORITHMS[number];

/** Options of `CalloutConfigError`. */
export interface CalloutConfigErrorOptions extends ErrorOptions {
  /** The dotted key at fault, e.g. `"oidc.audience"`. */
  key?: string;
}

/** The keys of each table. */
export const CONFIG_KEYS: Readonly<Record<string, readonly string[]>> = {
  nats: [
    "servers",
    "user",
    "password",
    "token",
    "creds_file",
    "tls_ca_file",
    "tls_cert_file",
    "tls_key_file",
    "tls_handshake_first",
  ],
  callout: [
    "issuer_seed_file",
    "xkey_seed_file",
    "account",
    "queue_group",
    "operator_subjects",
    "operator_inbox_prefix",
  ],
  oidc: [
    "issuer",
    "jwks_uri",
    "audience",
    "algorithms",
    "clock_leeway_s",
    "jwks_refresh_min_interval_s",
    "jwks_cache_max_age_s",
    "max_token_bytes",
  ],
};

/** Defaults of the optional keys. */
export const DEFAULTS = {
  account: "APP",
  queueGroup: "fleet-callout",
  operatorInboxPrefix: "_INBOX",
  algorithms: ["ES256", "RS256"],
  clockLeewayS: 30,
  jwksRefreshMinIntervalS: 30,
  jwksCacheMaxAgeS: 600,
  maxTokenBytes: 8192,
} as const;
