import { credsAuthenticator } from "@nats-io/nats-core";
import type { ConnectionOptions, NatsConnection } from "@nats-io/nats-core";
import { connect } from "../nats/mod.ts";

/** Where NATS is when neither `--server` nor `NATS_URL` says. */
export const DEFAULT_NATS_URL = "nats://127.0.0.1:4222";

/**
 * A command line the CLI cannot act on (bad flag combination, unreadable
 * file, invalid device id). Maps to exit code 2.
 *
 * @example
 * ```ts
 * import { CliUsageError } from "./cli_connection.ts";
 * new CliUsageError("--password needs --user").name; // "CliUsageError"
 * ```
 */
export class CliUsageError extends Error {
  /** Builds the error; `options.cause` is passed through. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "CliUsageError";
  }
}

/** Why the CLI could not connect. */
export type ConnectFailure =
  | "authentication"
  | "unreachable"
  | "timeout"
  | "failed";

/**
 * The CLI could not connect to NATS. Maps to exit code 3. `reason` says
 * whether the server refused the credentials, could not be reached, did
 * not answer in time, or something else failed (a bad URL, an unparsable
 * `.creds` file); `cause` is what the connection raised.
 *
 * @example
 * ```ts
 * import { CliConnectionError } from "./cli_connection.ts";
 * const error = new CliConnectionError("nats://127.0.0.1:4222", "unreachable");
 * error.message; // 'Cannot connect to NATS at "nats://127.0.0.1:4222": server unreachable'
 * ```
 */
export class CliConnectionError extends Error {
  /** The server URL(s) tried. */
  readonly servers: string;
  /** Why it failed. */
  readonly reason: ConnectFailure;

  /** Builds the error; `options.cause` is what the connection raised. */
  constructor(servers: string, reason: ConnectFailure, options?: ErrorOptions) {
    const detail = options?.cause instanceof Error
      ? ` (${options.cause.message})`
      : "";
    const what = reason === "authentication"
      ? `authentication failed${detail}; check --user/--password, --token or --creds`
      : reason === "timeout"
      ? `no answer from the server in time${detail}`
      : reason === "unreachable"
      ? `server unreachable${detail}`
      : `connection failed${detail}`;
    super(
      `Cannot connect to NATS at ${JSON.stringify(servers)}: ${what}`,
      options,
    );
    this.name = "CliConnectionError";
    this.servers = servers;
    this.reason = reason;
  }
}

/** The connection flags of the CLI, as parsed. */
export interface ConnectionFlags {
  /** `--server`: one URL or several, comma-separated. */
  server: string;
  /** `--user`. */
  user?: string;
  /** `--password`; needs `user`. */
  password?: string;
  /** `--token`. */
  token?: string;
  /** `--creds`: path of a NATS `.creds` file. */
  creds?: string;
  /** How long connecting may take, in milliseconds. */
  timeoutMs: number;
}

/**
 * Turns the CLI's connection flags into `ConnectionOptions` for a one-shot
 * command: no reconnects, a bounded connect time, the `.creds` file read.
 *
 * @throws {CliUsageError} for `--password` without `--user`, a `--creds`
 *   file that cannot be read, or an empty `--server`.
 * @example
 * ```ts ignore
 * import { connectionOptionsFromFlags } from "./cli_connection.ts";
 * const options = await connectionOptionsFromFlags({ server: "nats://127.0.0.1:4222", timeoutMs: 5000 });
 * ```
 */
export async function connectionOptionsFromFlags(
  flags: ConnectionFlags,
): Promise<ConnectionOptions> {
  const servers = flags.server.split(",").map((s) => s.trim()).filter((s) =>
    s !== ""
  );
  if (servers.length === 0) {
    throw new CliUsageError(
      `Invalid value ${
        JSON.stringify(flags.server)
      } for --server: expected a URL such as ${DEFAULT_NATS_URL}`,
    );
  }
  if (flags.password !== undefined && flags.user === undefined) {
    throw new CliUsageError("--password needs --user");
  }
  const options: ConnectionOptions = {
    servers,
    name: "fleet-cli",
    reconnect: false,
    maxReconnectAttempts: 0,
    timeout: flags.timeoutMs,
  };
  if (flags.user !== undefined) options.user = flags.user;
  if (flags.password !== undefined) options.pass = flags.password;
  if (flags.token !== undefined) options.token = flags.token;
  if (flags.creds !== undefined) {
    let creds: Uint8Array;
    try {
      creds = await Deno.readFile(flags.creds);
    } catch (error) {
      throw new CliUsageError(
        `Cannot read --creds file ${JSON.stringify(flags.creds)}: ${
          error instanceof Deno.errors.NotFound
            ? "no such file"
            : (error as Error).message
        }`,
        { cause: error },
      );
    }
    options.authenticator = credsAuthenticator(creds);
  }
  return options;
}

/**
 * Connects for the CLI, turning any failure into a
 * {@linkcode CliConnectionError} that says whether authentication failed
 * or the server could not be reached.
 *
 * @example
 * ```ts ignore
 * import { connectForCli } from "./cli_connection.ts";
 * const nc = await connectForCli({ server: "nats://127.0.0.1:4222", timeoutMs: 5000 });
 * await nc.close();
 * ```
 */
export async function connectForCli(
  flags: ConnectionFlags,
): Promise<NatsConnection> {
  const options = await connectionOptionsFromFlags(flags);
  try {
    return await connect(options);
  } catch (error) {
    throw new CliConnectionError(flags.server, connectFailure(error), {
      cause: error,
    });
  }
}

function connectFailure(error: unknown): ConnectFailure {
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
