/**
 * The `--help` text on where the CLI's connection settings come from.
 *
 * @example
 * ```ts
 * import { CONNECTION_HELP } from "./help.ts";
 * CONNECTION_HELP.startsWith("Connection:"); // true
 * ```
 */
export const CONNECTION_HELP: string = [
  "Connection:",
  "  Each setting comes from the first of: a flag; the environment (NATS_URL,",
  "  NATS_USER, NATS_PASSWORD, NATS_TOKEN, NATS_CREDS, NATS_CA, NATS_CERT,",
  "  NATS_KEY); the nats CLI context (--context, NATS_CONTEXT, or the one",
  "  selected with `nats context select`, in $XDG_CONFIG_HOME/nats or",
  "  ~/.config/nats; its ca, cert, key and tls_first are used too).",
  "  Credentials of one kind (user/password, token, token file, creds) replace",
  "  other kinds below them. Each server is tried once, in random order,",
  "  before fleet gives up.",
  "",
  "TLS:",
  "  tls:// or any TLS setting makes TLS required. Mutual TLS needs --tlscert,",
  "  --tlskey and --tlsfirst, and handshake_first in the server's tls block:",
  "  Deno cannot present a client certificate when it upgrades a plain",
  "  connection to TLS. TLS files are checked before connecting (exit 2).",
].join("\n");
