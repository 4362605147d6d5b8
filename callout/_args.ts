// Command-line parsing of callout/main.ts, kept apart so it can be unit tested.
import { PACKAGE_VERSION } from "../contracts/mod.ts";

export type ParsedCalloutArgs =
  | { kind: "run"; configPath: string }
  | {
    kind: "init";
    dir: string;
    issuer: string;
    audience: string;
    servers: string[];
    operators: string[];
  }
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "usage_error"; message: string };

export const USAGE =
  `fleet-callout ${PACKAGE_VERSION}: the NATS auth callout that turns OIDC tokens into NATS users

Usage:
  deno run -A callout/main.ts --config <file>
  deno run -A callout/main.ts init --dir <dir> --issuer <url> --audience <aud>
      [--server <nats url>]... [--operator <subject>]...
    writes <dir>/issuer.nk and xkey.nk (new keys, 0600), callout.toml and
    nats-server-callout.conf (the accounts and auth_callout block to include
    in nats-server's config); refuses to overwrite

Options:
  -c, --config <file>  the callout's TOML config (required)
  -h, --help           print this help and exit
  -V, --version        print the version and exit

Config (TOML; relative paths are relative to the config file):
  [nats]
  servers = ["nats://127.0.0.1:4222"]   # required
  user = "callout"                      # an auth_users user of nats-server's
  password = "…"                        #   auth_callout block (or token, creds_file)
  tls_ca_file = "ca.pem"                # optional, as in the agent's config; also
                                        #   tls_cert_file, tls_key_file, tls_handshake_first
  [callout]
  issuer_seed_file = "issuer.nk"        # required: the account nkey seed (SA…)
                                        #   whose public key is auth_callout.issuer
  xkey_seed_file = "xkey.nk"            # optional: curve seed (SX…) whose public
                                        #   key is auth_callout.xkey (encrypted requests)
  account = "APP"                       # default "APP": the account users go to
  queue_group = "fleet-callout"         # default; several callouts share the load
  operator_subjects = ["fleet-ops"]     # token subjects that are operators
  operator_inbox_prefix = "_INBOX"      # default
  [oidc]
  issuer = "https://idp.example.com"    # required: tokens' iss; discovery from it
  jwks_uri = "https://…/jwks.json"      # optional: skips discovery
  audience = "harmony-fleet-nats"       # required: tokens' aud must contain it
  algorithms = ["ES256", "RS256"]       # default; never "none" nor HS*
  clock_leeway_s = 30                   # default, 0..300
  jwks_refresh_min_interval_s = 30      # default: unknown kid refetches at most this often
  jwks_cache_max_age_s = 600            # default
  max_token_bytes = 8192                # default

Roles: a token whose sub is "device-<id>" (a valid device id) gets the
device's permissions, one in operator_subjects gets the operator's; every
other token is refused. User JWTs expire with the token.

Logs: one JSON object per line on stderr, {"ts","level","event",...}:
"callout_ready" once subscribed; "auth_allowed" (subject, role, device_id)
and "auth_refused" (reason, detail, subject when verified) per login. No
line carries a token, seed or password.

Signals: SIGTERM or SIGINT stops taking requests, answers those in flight,
drains the connection and exits 0.

Exit codes:
  0  stopped by SIGTERM/SIGINT (or --help, --version)
  1  unexpected internal error, or NATS closed the connection for good
  2  bad usage or invalid config (the message names the file and key)
  3  NATS refused the auth_users credentials
`;

export function parseCalloutArgs(args: readonly string[]): ParsedCalloutArgs {
  if (args[0] === "init") return parseInitArgs(args.slice(1));
  let configPath: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "-h" || arg === "--help") return { kind: "help" };
    if (arg === "-V" || arg === "--version") return { kind: "version" };
    let value: string | undefined;
    if (arg === "-c" || arg === "--config") value = args[++i];
    else if (arg.startsWith("--config=")) value = arg.slice(9);
    else {
      return {
        kind: "usage_error",
        message: arg.startsWith("-")
          ? `unknown option ${JSON.stringify(arg)}`
          : `unexpected argument ${JSON.stringify(arg)}`,
      };
    }
    if (!value) {
      return { kind: "usage_error", message: "option --config needs a file" };
    }
    configPath = value;
  }
  if (configPath === undefined) {
    return { kind: "usage_error", message: "missing --config <file>" };
  }
  return { kind: "run", configPath };
}

function parseInitArgs(args: readonly string[]): ParsedCalloutArgs {
  const values: Record<string, string[]> = {
    "--dir": [],
    "--issuer": [],
    "--audience": [],
    "--server": [],
    "--operator": [],
  };
  for (let i = 0; i < args.length; i++) {
    const list = values[args[i]];
    const value = args[i + 1];
    if (!list) {
      return {
        kind: "usage_error",
        message: `unknown init option ${JSON.stringify(args[i])}`,
      };
    }
    if (!value) {
      return {
        kind: "usage_error",
        message: `option ${args[i]} needs a value`,
      };
    }
    list.push(value);
    i++;
  }
  for (const required of ["--dir", "--issuer", "--audience"]) {
    if (values[required].length !== 1) {
      return { kind: "usage_error", message: `init needs ${required} once` };
    }
  }
  return {
    kind: "init",
    dir: values["--dir"][0],
    issuer: values["--issuer"][0],
    audience: values["--audience"][0],
    servers: values["--server"],
    operators: values["--operator"],
  };
}
