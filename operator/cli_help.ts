/**
 * The `--help` text on where the CLI's connection settings come from.
 *
 * @example
 * ```ts
 * import { CONNECTION_HELP } from "./cli_help.ts";
 * CONNECTION_HELP.startsWith("Connection:"); // true
 * ```
 */
export const CONNECTION_HELP: string = [
  "Connection:",
  "  Each setting comes from the first of: a flag; the environment (NATS_URL,",
  "  NATS_USER, NATS_PASSWORD, NATS_TOKEN, NATS_CREDS); the nats CLI context",
  "  (--context, NATS_CONTEXT, or the one selected with `nats context select`,",
  "  in $XDG_CONFIG_HOME/nats or ~/.config/nats). Credentials of one kind",
  "  (user/password, token, creds) replace other kinds below them. Each server",
  "  is tried once, in random order, before fleet gives up.",
].join("\n");
