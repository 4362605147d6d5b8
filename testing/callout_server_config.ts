/**
 * nats-server configured for the auth callout (nats-server ≥ 2.10): the
 * keys it needs and the `accounts` + `authorization { auth_callout }`
 * blocks. Used through `NatsServerProcess.start({ config: { callout } })`.
 *
 * @module
 */
import { createAccount, createCurve } from "@nats-io/nkeys";
import type { Credentials } from "./credentials.ts";

/** The nkeys of one callout deployment. Seeds are secrets: write them to 0600 files only. */
export interface CalloutKeys {
  /** The issuer account's seed (`SA…`): the callout signs with it. */
  issuerSeed: string;
  /** Its public key (`A…`): nats-server's `auth_callout.issuer`. */
  issuerPublicKey: string;
  /** The curve seed (`SX…`) for encrypted requests, when made. */
  xkeySeed?: string;
  /** Its public key (`X…`): nats-server's `auth_callout.xkey`. */
  xkeyPublicKey?: string;
}

/** Options of {@linkcode generateCalloutKeys}. */
export interface GenerateCalloutKeysOptions {
  /**
   * Also make an xkey, so requests and responses are encrypted (ADR-26).
   *
   * @default {true}
   */
  xkey?: boolean;
}

/**
 * Makes a fresh issuer account nkey (and xkey).
 *
 * @example
 * ```ts
 * import { generateCalloutKeys } from "./callout_server_config.ts";
 * const keys = generateCalloutKeys();
 * keys.issuerPublicKey.startsWith("A"); // true
 * ```
 */
export function generateCalloutKeys(
  options: GenerateCalloutKeysOptions = {},
): CalloutKeys {
  const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  const issuer = createAccount();
  const keys: CalloutKeys = {
    issuerSeed: text(issuer.getSeed()),
    issuerPublicKey: issuer.getPublicKey(),
  };
  if (options.xkey ?? true) {
    const xkey = createCurve();
    keys.xkeySeed = text(xkey.getSeed());
    keys.xkeyPublicKey = xkey.getPublicKey();
  }
  return keys;
}

/** The user the callout service of tests connects as. */
export const TEST_CALLOUT_USER: Readonly<Credentials> = Object.freeze({
  user: "callout",
  password: "callout-pw",
});

/** The `callout` option of `NatsServerConfigOptions`. */
export interface NatsServerCalloutOptions {
  /** The issuer's public key and, for encryption, the xkey's. */
  keys: Pick<CalloutKeys, "issuerPublicKey" | "xkeyPublicKey">;
  /**
   * The user the callout service connects as (in the auth account,
   * listed in `auth_users`).
   *
   * @default {TEST_CALLOUT_USER}
   */
  calloutUser?: Credentials;
  /**
   * The account the callout's user lives in.
   *
   * @default {"AUTH"}
   */
  authAccount?: string;
  /**
   * The account users are placed in (the user JWTs' audience).
   *
   * @default {"APP"}
   */
  account?: string;
  /**
   * Encrypt requests with the xkey when `keys.xkeyPublicKey` is given.
   *
   * @default {true}
   */
  encrypt?: boolean;
  /**
   * `max_control_line` of the server. The default (4 KiB) makes the server
   * itself refuse a longer CONNECT (a huge token) before the callout sees
   * it; raise it to test the callout's own `max_token_bytes`.
   *
   * @default {undefined (nats-server's 4 KiB)}
   */
  maxControlLine?: number;
  /**
   * `authorization { timeout }`: how many seconds nats-server waits for the
   * callout's answer before it refuses the login (nats-server's default is
   * 2). Under a burst of logins the requests queue at the callout; the
   * test stacks give it 10.
   *
   * @default {undefined (nats-server's 2 s)}
   */
  authTimeoutS?: number;
}

/**
 * The config lines for the callout: accounts AUTH (the callout's user),
 * APP (where users go; the `admin` given, if any, is a static user in it
 * that bypasses the callout as an `auth_users` entry) and SYS, and the
 * `authorization { auth_callout { … } }` block.
 *
 * @example
 * ```ts
 * import {
 *   generateCalloutKeys,
 *   renderCalloutServerConfig,
 * } from "./callout_server_config.ts";
 * const lines = renderCalloutServerConfig(
 *   { keys: generateCalloutKeys() },
 *   { user: "admin", password: "pw" },
 *   (s) => JSON.stringify(s),
 * );
 * lines.includes("  auth_callout {"); // true
 * ```
 */
export function renderCalloutServerConfig(
  options: NatsServerCalloutOptions,
  admin: Credentials | undefined,
  quote: (value: string) => string,
): string[] {
  const calloutUser = options.calloutUser ?? TEST_CALLOUT_USER;
  const authAccount = options.authAccount ?? "AUTH";
  const account = options.account ?? "APP";
  if (new Set([authAccount, account, "SYS"]).size !== 3) {
    throw new RangeError(
      `Cannot render the callout config: accounts "${authAccount}", "${account}" and "SYS" must differ`,
    );
  }
  if (admin && admin.user === calloutUser.user) {
    throw new RangeError(
      `Cannot render the callout config: user "${admin.user}" appears twice`,
    );
  }
  const user = (c: Credentials) =>
    `{ user: ${quote(c.user)}, password: ${quote(c.password)} }`;
  const authUsers = [calloutUser.user, ...(admin ? [admin.user] : [])];
  const xkey = options.encrypt !== false
    ? options.keys.xkeyPublicKey
    : undefined;
  return [
    ...(options.maxControlLine !== undefined
      ? [`max_control_line: ${Math.floor(options.maxControlLine)}`]
      : []),
    "accounts {",
    `  ${quote(authAccount)}: { users: [ ${user(calloutUser)} ] }`,
    // JetStream per account: the device registry lives in the target account.
    `  ${quote(account)}: { users: [ ${
      admin ? user(admin) : ""
    } ], jetstream: enabled }`,
    `  SYS: {}`,
    "}",
    "system_account: SYS",
    "authorization {",
    ...(options.authTimeoutS !== undefined
      ? [`  timeout: ${options.authTimeoutS}`]
      : []),
    "  auth_callout {",
    `    issuer: ${quote(options.keys.issuerPublicKey)}`,
    `    auth_users: [ ${authUsers.map(quote).join(", ")} ]`,
    `    account: ${quote(authAccount)}`,
    ...(xkey ? [`    xkey: ${quote(xkey)}`] : []),
    "  }",
    "}",
  ];
}
