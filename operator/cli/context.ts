import { CliUsageError } from "./errors.ts";
import type { EnvReader, Setting, SettingsLayer } from "./settings.ts";

/** A `nats` CLI context, read: where it is and the settings it gives. */
export interface NatsContext {
  /** Its name (the file name without `.json`). */
  name: string;
  /** Its file. */
  path: string;
  /** The connection settings it gives (`url`, `user`, `password`, `token`, `creds`, `ca`, `cert`, `key`, `tls_first`). */
  layer: SettingsLayer;
  /** Its `inbox_prefix`, when set. */
  inboxPrefix?: string;
}

/** Options of {@linkcode loadNatsContext}. */
export interface LoadNatsContextOptions {
  /** Reads `XDG_CONFIG_HOME` and `HOME`. */
  getEnv: EnvReader;
  /**
   * Ignore the selected context (`--no-context`): without a name, load
   * nothing.
   *
   * @default {false}
   */
  noSelected?: boolean;
}

// Context fields fleet uses, maps, ignores, or refuses (see loadNatsContext).
const LAYER_FIELDS = {
  url: "server",
  user: "user",
  password: "password",
  token: "token",
  creds: "creds",
  ca: "tlsCa",
  cert: "tlsCert",
  key: "tlsKey",
} as const;
// File fields, whose leading `~/` is the home directory.
const FILE_FIELDS = ["creds", "tlsCa", "tlsCert", "tlsKey"] as const;
const IGNORED_STRINGS = [
  "name",
  "description",
  "jetstream_domain",
  "jetstream_api_prefix",
  "jetstream_event_prefix",
  "color_scheme",
];
const UNSUPPORTED_STRINGS = [
  "nkey",
  "nsc",
  "user_jwt",
  "user_seed",
  "socks_proxy",
  "windows_cert_store",
  "windows_cert_match_by",
  "windows_cert_match",
];

/**
 * Reads a context of the `nats` CLI: `<name>.json` in
 * `$XDG_CONFIG_HOME/nats/context/` (else `$HOME/.config/nats/context/`),
 * or the file itself when `name` is an absolute path; without a name, the
 * selected context, named in `…/nats/context.txt` (none when that file is
 * missing or empty, or when `options.noSelected`).
 *
 * Fields used: `url`, `user`, `password`, `token`, `creds`, `ca`, `cert`,
 * `key` (in these four a leading `~/` is the home directory), `tls_first`
 * and `inbox_prefix`. Ignored: `description`, `name`, the `jetstream_*`
 * prefixes and `color_scheme` (fleet uses no JetStream), and fields it
 * does not know. Refused when set, as not supported yet (connecting
 * without them would not be what the context says): `nkey`, `nsc`,
 * `user_jwt`, `user_seed`, `socks_proxy`, the `windows_*` certificate store
 * fields, and a `creds` that is a URL (`nsc://…`, `op://…`). An empty
 * string, and `tls_first: false`, count as unset, as in the `nats` CLI.
 *
 * @throws {CliUsageError} (with `file`) for a missing, unreadable or
 *   malformed context file, a field of the wrong type or not supported, a
 *   name that is not a context name, or a name given with neither
 *   `XDG_CONFIG_HOME` nor `HOME` set.
 * @example
 * ```ts ignore
 * import { loadNatsContext } from "./context.ts";
 * const context = await loadNatsContext("prod", { getEnv: (name) => Deno.env.get(name) });
 * context?.layer.server; // { value: "nats://…", from: 'context "prod" (…) url' }
 * ```
 */
export async function loadNatsContext(
  name: string | undefined,
  options: LoadNatsContextOptions,
): Promise<NatsContext | undefined> {
  const configHome = configHomeOf(options.getEnv);
  if (name === undefined) {
    if (options.noSelected || configHome === undefined) return undefined;
    const selected = await readSelected(`${configHome}/nats/context.txt`);
    if (selected === undefined) return undefined;
    return await readContext(
      selected,
      contextPath(selected, configHome),
      options.getEnv,
    );
  }
  if (name.startsWith("/")) {
    const base = name.slice(name.lastIndexOf("/") + 1);
    return await readContext(
      base.replace(/\.json$/, ""),
      name,
      options.getEnv,
    );
  }
  if (configHome === undefined) {
    throw new CliUsageError(
      `Cannot find NATS context ${
        JSON.stringify(name)
      }: neither XDG_CONFIG_HOME nor HOME is set`,
    );
  }
  return await readContext(
    name,
    contextPath(name, configHome),
    options.getEnv,
  );
}

function configHomeOf(getEnv: EnvReader): string | undefined {
  const xdg = getEnv("XDG_CONFIG_HOME");
  if (xdg) return xdg;
  const home = getEnv("HOME");
  return home ? `${home}/.config` : undefined;
}

function contextPath(name: string, configHome: string): string {
  if (name === "" || name.includes("..") || name.includes("/")) {
    throw new CliUsageError(
      `Invalid NATS context name ${
        JSON.stringify(name)
      }: expected a name such as "prod", without "/" or ".."`,
    );
  }
  return `${configHome}/nats/context/${name}.json`;
}

async function readSelected(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    if (cause instanceof Deno.errors.NotFound) return undefined;
    throw new CliUsageError(
      `Cannot read the selected NATS context from ${JSON.stringify(path)}: ${
        (cause as Error).message
      }`,
      { cause, file: path },
    );
  }
  const name = text.trim();
  return name === "" ? undefined : name;
}

async function readContext(
  name: string,
  path: string,
  getEnv: EnvReader,
): Promise<NatsContext> {
  const what = `Cannot use NATS context ${JSON.stringify(name)}: file ${
    JSON.stringify(path)
  }`;
  const fail = (problem: string, cause?: unknown): never => {
    throw new CliUsageError(`${what} ${problem}`, { cause, file: path });
  };
  let text = "";
  try {
    text = await Deno.readTextFile(path);
  } catch (cause) {
    fail(
      cause instanceof Deno.errors.NotFound
        ? "does not exist"
        : `cannot be read: ${(cause as Error).message}`,
      cause,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    fail(`is not valid JSON: ${(cause as Error).message}`, cause);
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    return fail("is not a JSON object");
  }
  const fields = json as Record<string, unknown>;
  const string = (field: string): string | undefined => {
    const value = fields[field];
    if (value === undefined || value === null || value === "") return undefined;
    if (typeof value !== "string") {
      fail(`field "${field}" must be a string, got ${JSON.stringify(value)}`);
    }
    return value as string;
  };
  const unsupported = (field: string) =>
    fail(
      `field "${field}" is not supported by fleet yet; use a context without it`,
    );

  for (const field of IGNORED_STRINGS) string(field);
  for (const field of UNSUPPORTED_STRINGS) {
    if (string(field) !== undefined) unsupported(field);
  }
  const tlsFirst = fields.tls_first;
  if (
    tlsFirst !== undefined && tlsFirst !== null && typeof tlsFirst !== "boolean"
  ) {
    fail(`field "tls_first" must be true or false`);
  }
  const caMatch = fields.windows_ca_certs_match;
  if (Array.isArray(caMatch) && caMatch.length > 0) {
    unsupported("windows_ca_certs_match");
  }

  const layer: SettingsLayer = {};
  const from = (field: string) =>
    `context ${JSON.stringify(name)} (${JSON.stringify(path)}) ${field}`;
  for (const [field, key] of Object.entries(LAYER_FIELDS)) {
    const value = string(field);
    if (value !== undefined) {
      layer[key] = { value, from: from(field) } satisfies Setting;
    }
  }
  if (layer.creds !== undefined) {
    if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(layer.creds.value)) {
      fail(
        `field "creds": ${
          JSON.stringify(layer.creds.value)
        } is not supported by fleet yet, only a file path`,
      );
    }
  }
  for (const key of FILE_FIELDS) {
    const setting = layer[key];
    if (setting !== undefined) {
      setting.value = expandHome(setting.value, getEnv);
    }
  }
  if (tlsFirst === true) {
    layer.tlsFirst = { value: true, from: from("tls_first") };
  }
  const context: NatsContext = { name, path, layer };
  const inboxPrefix = string("inbox_prefix");
  if (inboxPrefix !== undefined) context.inboxPrefix = inboxPrefix;
  return context;
}

// `~/…` as the nats CLI expands it in file fields; left as is without a HOME.
function expandHome(path: string, getEnv: EnvReader): string {
  const home = getEnv("HOME");
  return path.startsWith("~/") && home ? `${home}${path.slice(1)}` : path;
}
