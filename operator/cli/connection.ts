import type { ConnectionOptions, NatsConnection } from "@nats-io/nats-core";
import {
  authConnectionOptions,
  connect,
  NatsAuthError,
  NatsTlsError,
  tlsConnectionOptions,
} from "../../nats/mod.ts";
import {
  CliConnectionError,
  CliUsageError,
  type ConnectFailure,
} from "./errors.ts";
import { tlsAdvice } from "./tls_advice.ts";
import { loadNatsContext } from "./context.ts";
import {
  type ConnectionFlags,
  type ConnectionSettings,
  envLayer,
  type EnvReader,
  flagsLayer,
  resolveConnectionSettings,
} from "./settings.ts";

/** Options of {@linkcode cliConnectionOptions} and {@linkcode connectForCli}. */
export interface CliConnectOptions {
  /** How long connecting to each server may take, in milliseconds. */
  timeoutMs: number;
  /**
   * Prefix of the connection's reply subjects (a context's `inbox_prefix`).
   *
   * @default {nats-core's `_INBOX`}
   */
  inboxPrefix?: string;
}

/**
 * Turns resolved settings into `ConnectionOptions` for a one-shot command:
 * each server tried once (in random order, as nats-core and the `nats` CLI
 * do) before giving up, no reconnects, a bounded connect time per server, the servers without user info,
 * the credentials mapped by `authConnectionOptions` (a `.creds` or token
 * file is read and checked here) and the TLS settings by `tlsConnectionOptions`
 * (their files are read and checked here too).
 *
 * @throws {CliUsageError} for unusable credentials (a password without a
 *   user, two kinds at once, a missing or malformed `.creds` file, a token
 *   file that is missing, unreadable or empty) or TLS
 *   settings (a file missing or not PEM, half a client certificate, a
 *   client certificate without `--tlsfirst`), naming where they came from.
 * @example
 * ```ts ignore
 * import { resolveConnectionSettings } from "./settings.ts";
 * import { cliConnectionOptions } from "./connection.ts";
 * const settings = resolveConnectionSettings([]);
 * const options = await cliConnectionOptions(settings, { timeoutMs: 5000 });
 * ```
 */
export async function cliConnectionOptions(
  settings: ConnectionSettings,
  options: CliConnectOptions,
): Promise<ConnectionOptions> {
  let auth;
  try {
    auth = await authConnectionOptions(settings.auth);
  } catch (error) {
    if (!(error instanceof NatsAuthError)) throw error;
    throw authUsageError(error, settings);
  }
  let tls;
  try {
    tls = await tlsConnectionOptions(settings.tls, {
      names: { ...TLS_FLAGS, ...settings.tlsFrom },
    });
  } catch (error) {
    if (!(error instanceof NatsTlsError)) throw error;
    throw new CliUsageError(error.message, {
      cause: error,
      source: error.option,
      file: error.path,
    });
  }
  return {
    servers: settings.servers.urls,
    name: "fleet-cli",
    // One attempt per server on the first connect, none after a disconnect.
    // Not `maxReconnectAttempts: 0`: on a failed first dial nats-core 3.4
    // then removes a server twice, the second time the last one in the
    // list, so a dead first server made it skip the good second one.
    reconnect: false,
    maxReconnectAttempts: -1,
    timeout: options.timeoutMs,
    ...(options.inboxPrefix === undefined
      ? {}
      : { inboxPrefix: options.inboxPrefix }),
    ...auth,
    ...tls,
  };
}

/** How messages name a TLS setting not given (e.g. the missing key). */
const TLS_FLAGS = {
  caFile: "--tlsca",
  certFile: "--tlscert",
  keyFile: "--tlskey",
  handshakeFirst: "--tlsfirst",
} as const;

/**
 * Connects for the CLI, turning any connection failure into a
 * {@linkcode CliConnectionError} that says whether authentication or TLS
 * failed (and what to fix) or the server could not be reached.
 *
 * @throws {CliUsageError} for unusable credentials (see {@linkcode cliConnectionOptions}).
 * @throws {CliConnectionError} when no server could be connected to.
 * @example
 * ```ts ignore
 * import { resolveConnectionSettings } from "./settings.ts";
 * import { connectForCli } from "./connection.ts";
 * const nc = await connectForCli(resolveConnectionSettings([]), { timeoutMs: 5000 });
 * await nc.close();
 * ```
 */
export async function connectForCli(
  settings: ConnectionSettings,
  options: CliConnectOptions,
): Promise<NatsConnection> {
  const connectionOptions = await cliConnectionOptions(settings, options);
  try {
    return await connect(connectionOptions);
  } catch (error) {
    throw new CliConnectionError(
      settings.servers.urls.join(","),
      connectFailure(error),
      { cause: error },
    );
  }
}

function authUsageError(
  error: NatsAuthError,
  settings: ConnectionSettings,
): CliUsageError {
  if (error.setting !== undefined) {
    const from = settings.authFrom[error.setting] ??
      (error.setting === "tokenFile" ? "--token-file" : "--creds");
    return new CliUsageError(`${from}: ${error.message}`, {
      cause: error,
      source: from,
      file: error.path,
    });
  }
  const from = Object.values(settings.authFrom).join(", ");
  return new CliUsageError(`${error.message} (given: ${from})`, {
    cause: error,
  });
}

function connectFailure(error: unknown): ConnectFailure {
  if (tlsAdvice(error) !== undefined) return "tls";
  const name = error instanceof Error ? error.name : "";
  if (
    name === "AuthorizationError" || name === "UserAuthenticationExpiredError"
  ) {
    return "authentication";
  }
  if (name === "TimeoutError") return "timeout";
  if (name === "ConnectionError") return "unreachable";
  return "failed";
}

/** The connection flags, plus `--context <name>` (`false`: `--no-context`). */
export interface CliConnectionFlags extends ConnectionFlags {
  /** `--context <name>`, or `false` for `--no-context`. */
  context?: string | false;
}

/** Options of {@linkcode connectFromCommandLine}. */
export interface ConnectFromCommandLineOptions {
  /** Reads the environment (`NATS_*`, `HOME`, `XDG_CONFIG_HOME`). */
  getEnv: EnvReader;
  /** How long connecting to each server may take, in milliseconds. */
  timeoutMs: number;
}

/**
 * Connects as the command line says: the flags, then the environment, then
 * the `nats` CLI context (`--context`, `NATS_CONTEXT` or the selected one;
 * none with `--no-context`), resolved by `resolveConnectionSettings`.
 *
 * @throws {CliUsageError} for a bad server URL, credentials or context.
 * @throws {CliConnectionError} when no server could be connected to.
 * @example
 * ```ts ignore
 * import { connectFromCommandLine } from "./connection.ts";
 * const nc = await connectFromCommandLine({ context: "prod" }, {
 *   getEnv: (name) => Deno.env.get(name),
 *   timeoutMs: 5000,
 * });
 * ```
 */
export async function connectFromCommandLine(
  flags: CliConnectionFlags,
  options: ConnectFromCommandLineOptions,
): Promise<NatsConnection> {
  const { getEnv } = options;
  const context = flags.context === false
    ? undefined
    : await loadNatsContext(flags.context ?? getEnv("NATS_CONTEXT"), {
      getEnv,
    });
  const settings = resolveConnectionSettings([
    flagsLayer(flags),
    envLayer(getEnv),
    context?.layer ?? {},
  ]);
  return await connectForCli(settings, {
    timeoutMs: options.timeoutMs,
    inboxPrefix: context?.inboxPrefix,
  });
}
