// The [nats] table of the agent config: server URLs checked with
// parseServerUrl(s) and kept without user info, credentials in URLs moved
// to user/password or token, credentials checked for conflicts. Private to agent/;
// see config.ts.
import { dirname, isAbsolute, resolve } from "node:path";
import {
  type NatsTlsFiles,
  parseServerUrl,
  parseServerUrls,
  ServerUrlError,
  type UrlCredentials,
} from "../nats/mod.ts";
import { tlsConfig } from "./_config_tls.ts";
import {
  describe,
  describeType,
  type Fail,
  type Table,
} from "./_config_values.ts";

const SERVERS_EXPECTED =
  'a non-empty array of server URLs, e.g. ["nats://127.0.0.1:4222"]';

/** NATS connection settings of an agent: the `[nats]` table. */
export interface AgentNatsConfig {
  /**
   * Server URLs tried in order, written in full and without user info, e.g.
   * `["nats://127.0.0.1:4222"]`; never empty. Credentials given in the
   * config's URLs (`nats://user:password@host`, `nats://token@host`) are
   * moved to `user`/`password` or `token`.
   */
  servers: string[];
  /** User name for user/password authentication; always set when `password` is. */
  user?: string;
  /** Password for user/password authentication. */
  password?: string;
  /** Token authentication; excludes user/password, `tokenFile` and `credsFile`. */
  token?: string;
  /** Absolute path of a `.creds` file (JWT + NKey seed); relative paths in the file are resolved against the config file's folder. */
  credsFile?: string;
  /**
   * Absolute path of a file holding the token (`token_file`; relative paths
   * in the file are resolved against the config file's folder), read again
   * at every reconnect so a rotated token is used.
   */
  tokenFile?: string;
  /**
   * TLS: the `tls_ca_file`, `tls_cert_file`, `tls_key_file` (absolute;
   * relative paths in the file are resolved against the config file's
   * folder) and `tls_handshake_first` keys; absent when none asks for
   * anything. Any of them makes TLS required.
   */
  tls?: NatsTlsFiles;
}

/** Reads the `[nats]` table; `path` is the config file, the base of a relative `creds_file`. */
export function natsConfig(
  nats: Table,
  path: string,
  fail: Fail,
): AgentNatsConfig {
  const servers = nats.servers;
  if (servers === undefined) {
    fail(
      'missing required key "nats.servers" (an array of server URLs such as ["nats://127.0.0.1:4222"])',
      "nats.servers",
    );
  }
  if (!Array.isArray(servers) || servers.length === 0) {
    fail(
      `key "nats.servers" must be ${SERVERS_EXPECTED}, got ${
        describe(servers)
      }`,
      "nats.servers",
    );
  }
  (servers as unknown[]).forEach((server, index) => {
    if (typeof server !== "string") {
      fail(
        `key "nats.servers" must be ${SERVERS_EXPECTED}; entry ${index} is ${
          describe(server)
        }`,
        "nats.servers",
      );
    }
    try {
      parseServerUrl(server);
    } catch (error) {
      if (!(error instanceof ServerUrlError)) throw error;
      // The message quotes the URL with any password or token as ***.
      fail(
        `key "nats.servers" entry ${index}: ${error.message}`,
        "nats.servers",
        {
          cause: error,
        },
      );
    }
  });

  let urls: string[];
  let urlCredentials: UrlCredentials | undefined;
  try {
    ({ urls, credentials: urlCredentials } = parseServerUrls(
      servers as string[],
    ));
  } catch (error) {
    if (!(error instanceof ServerUrlError)) throw error;
    return fail(`key "nats.servers": ${error.message}`, "nats.servers", {
      cause: error,
    });
  }
  if (urlCredentials !== undefined) {
    const also = ["user", "password", "token", "creds_file", "token_file"]
      .find((key) => nats[key] !== undefined);
    if (also !== undefined) {
      fail(
        `key "nats.servers" carries credentials in a URL and "nats.${also}" is set too; give them one way`,
        "nats.servers",
      );
    }
    // Only URLs without user info are kept: they are what is dialled and logged.
    return withTls({ servers: urls, ...urlCredentials }, nats, path, fail);
  }

  const config: AgentNatsConfig = { servers: urls };
  for (
    const key of [
      "user",
      "password",
      "token",
      "creds_file",
      "token_file",
    ] as const
  ) {
    const value = nats[key];
    if (value === undefined) continue;
    if (typeof value !== "string" || value === "") {
      const secret = key === "password" || key === "token";
      fail(
        `key "nats.${key}" must be a non-empty string, got ${
          secret ? describeType(value) : describe(value)
        }`,
        `nats.${key}`,
      );
    }
  }
  const {
    user,
    password,
    token,
    creds_file: credsFile,
    token_file: tokenFile,
  } = nats as Record<string, string | undefined>;
  if (password !== undefined && user === undefined) {
    fail('key "nats.password" is set but "nats.user" is not', "nats.password");
  }
  const methods = [
    user !== undefined ? "nats.user" : undefined,
    token !== undefined ? "nats.token" : undefined,
    credsFile !== undefined ? "nats.creds_file" : undefined,
    tokenFile !== undefined ? "nats.token_file" : undefined,
  ].filter((method) => method !== undefined);
  if (methods.length > 1) {
    fail(
      `keys ${
        methods.map((key) => `"${key}"`).join(" and ")
      } cannot be used together; choose one of user/password, token, token_file or creds_file`,
      methods[1],
    );
  }
  if (user !== undefined) config.user = user;
  if (password !== undefined) config.password = password;
  if (token !== undefined) config.token = token;
  if (credsFile !== undefined) config.credsFile = besideConfig(credsFile, path);
  if (tokenFile !== undefined) config.tokenFile = besideConfig(tokenFile, path);
  return withTls(config, nats, path, fail);
}

/** `file` as written in the config at `path`: relative to the config's folder. */
function besideConfig(file: string, path: string): string {
  return isAbsolute(file) ? file : resolve(dirname(path), file);
}

function withTls(
  config: AgentNatsConfig,
  nats: Table,
  path: string,
  fail: Fail,
): AgentNatsConfig {
  const tls = tlsConfig(nats, path, fail);
  return tls === undefined ? config : { ...config, tls };
}
