import { redactServerUrl } from "../../nats/mod.ts";
import { tlsAdvice } from "./tls_advice.ts";

/**
 * A command line the CLI cannot act on: a bad flag combination or value, a
 * malformed server URL, an unreadable `.creds`, token or context file, an invalid
 * device id. Maps to exit code 2. `source` names where the bad value came
 * from (`--server`, `NATS_URL`, a context file), when one place did.
 *
 * @example
 * ```ts
 * import { CliUsageError } from "./errors.ts";
 * new CliUsageError("--password needs --user").name; // "CliUsageError"
 * ```
 */
export class CliUsageError extends Error {
  /** Where the bad value came from, e.g. `--server` or `NATS_URL`. */
  readonly source?: string;
  /** The file at fault (a `.creds`, token or context file), when a file is. */
  readonly file?: string;

  /**
   * Builds the error; `options.cause` is passed through, `options.source`
   * and `options.file` are kept. The message is redacted: a server URL's
   * password never shows.
   */
  constructor(
    message: string,
    options?: ErrorOptions & { source?: string; file?: string },
  ) {
    super(redactServerUrl(message), options);
    this.name = "CliUsageError";
    this.source = options?.source;
    this.file = options?.file;
  }
}

/** Why the CLI could not connect. */
export type ConnectFailure =
  | "authentication"
  | "tls"
  | "unreachable"
  | "timeout"
  | "failed";

/**
 * The CLI could not connect to NATS. Maps to exit code 3. `reason` says
 * whether the server refused the credentials, TLS failed (the message then
 * says what to fix, in terms of `--tlsca`, `--tlscert`, `--tlskey` and
 * `--tlsfirst`), the server could not be reached or did not answer in
 * time, or something else failed; `cause` is what the connection raised. `servers` and the message never carry a password.
 *
 * @example
 * ```ts
 * import { CliConnectionError } from "./errors.ts";
 * const error = new CliConnectionError("nats://127.0.0.1:4222", "unreachable");
 * error.message; // 'Cannot connect to NATS at "nats://127.0.0.1:4222": server unreachable'
 * ```
 */
export class CliConnectionError extends Error {
  /** The server URL(s) tried, comma-separated, without user info. */
  readonly servers: string;
  /** Why it failed. */
  readonly reason: ConnectFailure;

  /** Builds the error; `options.cause` is what the connection raised. */
  constructor(servers: string, reason: ConnectFailure, options?: ErrorOptions) {
    const detail = options?.cause instanceof Error
      ? ` (${options.cause.message})`
      : "";
    const what = reason === "authentication"
      ? `authentication failed${detail}; check --user/--password, --token, --token-file or --creds`
      : reason === "tls"
      ? `TLS failed${detail}; ${
        tlsAdvice(options?.cause) ??
          "check --tlsca, --tlscert, --tlskey and --tlsfirst"
      }`
      : reason === "timeout"
      ? `no answer from the server in time${detail}`
      : reason === "unreachable"
      ? `server unreachable${detail}`
      : `connection failed${detail}`;
    const shown = redactServerUrl(servers);
    super(
      redactServerUrl(
        `Cannot connect to NATS at ${JSON.stringify(shown)}: ${what}`,
      ),
      options,
    );
    this.name = "CliConnectionError";
    this.servers = shown;
    this.reason = reason;
  }
}
