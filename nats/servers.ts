/** The port of a NATS server URL that names none. */
export const DEFAULT_NATS_PORT = 4222;

/** URL schemes a NATS server URL may have: `nats` (TLS if offered) and `tls` (TLS required). */
export const ServerScheme = {
  /** Plain TCP, upgraded to TLS when the server offers or requires it. */
  Nats: "nats",
  /** TLS required: the connection fails if the server does not offer it. */
  Tls: "tls",
} as const;

/** One of the values of {@linkcode ServerScheme}. */
export type ServerScheme = typeof ServerScheme[keyof typeof ServerScheme];

/**
 * A NATS server URL, checked and split. `url` never carries credentials:
 * it is what is dialled, logged and shown.
 */
export interface ServerUrl {
  /** `nats` or `tls`. */
  scheme: ServerScheme;
  /** Host name or IP address; an IPv6 address without brackets. */
  hostname: string;
  /** TCP port, 1–65535. */
  port: number;
  /** `scheme://host:port`, without user info. */
  url: string;
  /** User name from `scheme://user:password@host`. */
  user?: string;
  /** Password from `scheme://user:password@host`. */
  password?: string;
  /** Token from `scheme://token@host` (user info without a password, as the `nats` CLI reads it). */
  token?: string;
}

/**
 * A server URL that cannot be used: not a URL, an unsupported scheme, a port
 * out of range. A `TypeError` (a bad argument). The message and `value`
 * quote the URL with any password or token replaced by `***`.
 *
 * @example
 * ```ts
 * import { parseServerUrl, ServerUrlError } from "./servers.ts";
 * try {
 *   parseServerUrl("ws://127.0.0.1:8080");
 * } catch (error) {
 *   error instanceof ServerUrlError; // true
 * }
 * ```
 */
export class ServerUrlError extends TypeError {
  /** The rejected URL, redacted. */
  readonly value: string;

  /** Builds the error for `value` (redacted here), saying what is wrong. */
  constructor(value: string, problem: string) {
    const redacted = redactServerUrl(value);
    super(
      `Invalid NATS server URL ${JSON.stringify(redacted)}: ${problem}`,
    );
    this.name = "ServerUrlError";
    this.value = redacted;
  }
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;
const HOST_NAME = /^[A-Za-z0-9_](?:[A-Za-z0-9_.-]*[A-Za-z0-9_])?$/;
const IPV6 = /^\[[0-9A-Fa-f:.]+\]$/;
const SHAPE = "expected nats://host:port or tls://host:port";

/**
 * Checks and splits one NATS server URL as the `nats` CLI takes it:
 * `nats://host:port`, `tls://host`, `host:port` or `host` (scheme `nats`,
 * port 4222 by default), with optional `user:password@` or `token@` user
 * info (percent-decoded).
 *
 * @throws {ServerUrlError} for anything else, naming the problem.
 * @example
 * ```ts
 * import { parseServerUrl } from "./servers.ts";
 * parseServerUrl("nats://admin:s3cret@10.0.0.5").url; // "nats://10.0.0.5:4222"
 * ```
 */
export function parseServerUrl(text: string): ServerUrl {
  const fail = (problem: string): never => {
    throw new ServerUrlError(text, problem);
  };
  const value = text.trim();
  if (value === "") fail("it is empty");
  if (/\s/.test(value)) fail(`it contains whitespace; ${SHAPE}`);
  const schemeMatch = SCHEME.exec(value);
  const scheme = schemeMatch?.[1].toLowerCase() ?? ServerScheme.Nats;
  if (scheme !== ServerScheme.Nats && scheme !== ServerScheme.Tls) {
    fail(`scheme "${scheme}" is not supported; use nats:// or tls://`);
  }
  const rest = schemeMatch ? value.slice(schemeMatch[0].length) : value;
  const authority = rest.split(/[/?#]/, 1)[0];
  const hostPort = authority.slice(authority.lastIndexOf("@") + 1);
  if (hostPort === "" || hostPort.startsWith(":")) {
    fail(`it has no host; ${SHAPE}`);
  }
  const portText = /\]?:(\d+)$/.exec(hostPort)?.[1];
  if (portText !== undefined) {
    const port = Number(portText);
    if (port < 1 || port > 65535) {
      fail(`port ${portText} is out of range 1–65535`);
    }
  }

  let url: URL;
  try {
    url = new URL(`nats://${rest}`);
  } catch {
    return fail(`it is not a URL; ${SHAPE}`);
  }
  if ((url.pathname !== "" && url.pathname !== "/") || url.search || url.hash) {
    fail(`it has a path, query or fragment; ${SHAPE}`);
  }
  const host = url.hostname.toLowerCase();
  if (!HOST_NAME.test(host) && !IPV6.test(host)) {
    fail(`it is not a URL: "${host}" is not a host name or IP address`);
  }
  const port = url.port === "" ? DEFAULT_NATS_PORT : Number(url.port);
  const parsed: ServerUrl = {
    scheme: scheme as ServerScheme,
    hostname: host.startsWith("[") ? host.slice(1, -1) : host,
    port,
    url: `${scheme}://${host}:${port}`,
  };
  const at = authority.lastIndexOf("@");
  if (at !== -1) {
    const info = authority.slice(0, at);
    const colon = info.indexOf(":");
    const decode = (part: string) => {
      try {
        return decodeURIComponent(part);
      } catch {
        return fail("its user info is not valid percent-encoding");
      }
    };
    if (colon === -1) {
      parsed.token = decode(info);
    } else {
      parsed.user = decode(info.slice(0, colon));
      parsed.password = decode(info.slice(colon + 1));
    }
  }
  return parsed;
}

/** Credentials found in server URLs. */
export type UrlCredentials =
  | { user: string; password: string }
  | { token: string };

/** Several server URLs, checked: see {@linkcode parseServerUrls}. */
export interface ParsedServerUrls {
  /** The URLs without user info, in the order given. */
  urls: string[];
  /** Each URL, split. */
  servers: ServerUrl[];
  /** The credentials the URLs carry, if any (all that carry some carry the same). */
  credentials?: UrlCredentials;
  /** Whether any URL is `tls://`, which makes TLS required for the connection. */
  tlsRequired: boolean;
}

/**
 * Checks a list of server URLs (see {@linkcode parseServerUrl}) and pulls
 * out the credentials they carry. URLs with different credentials are
 * refused: a connection authenticates one way.
 *
 * @throws {ServerUrlError} for an empty list, a bad URL, or URLs with
 *   different credentials.
 * @example
 * ```ts
 * import { parseServerUrls } from "./servers.ts";
 * parseServerUrls(["nats://a:b@h1", "h2:4223"]).urls; // ["nats://h1:4222", "nats://h2:4223"]
 * ```
 */
export function parseServerUrls(values: readonly string[]): ParsedServerUrls {
  if (values.length === 0) {
    throw new ServerUrlError("", `no server given; ${SHAPE}`);
  }
  const servers = values.map(parseServerUrl);
  let credentials: UrlCredentials | undefined;
  let key: string | undefined;
  for (const [index, server] of servers.entries()) {
    const found: UrlCredentials | undefined = server.token !== undefined
      ? { token: server.token }
      : server.user !== undefined
      ? { user: server.user, password: server.password ?? "" }
      : undefined;
    if (found === undefined) continue;
    const foundKey = JSON.stringify(found);
    if (key !== undefined && foundKey !== key) {
      throw new ServerUrlError(
        values[index],
        "the server URLs carry different credentials; give them once",
      );
    }
    key = foundKey;
    credentials = found;
  }
  return {
    urls: servers.map((server) => server.url),
    servers,
    credentials,
    tlsRequired: servers.some((server) => server.scheme === ServerScheme.Tls),
  };
}

// A word of text with an `@` in it: a server URL with user info, maybe.
const WORD_WITH_AT = /[^\s,;"'<>()\[\]]+@[^\s,;"'<>()]+/g;

/**
 * Replaces the password (or token) of every server URL in `text` by `***`:
 * `nats://admin:s3cret@host` → `nats://admin:***@host`, `nats://tok@host` →
 * `nats://***@host`. For log lines and error messages; text without user
 * info comes back unchanged. Errs on the safe side: everything before the
 * last `@` of a word is treated as user info.
 *
 * @example
 * ```ts
 * import { redactServerUrl } from "./servers.ts";
 * redactServerUrl("nats://admin:s3cret@10.0.0.5:4222"); // "nats://admin:***@10.0.0.5:4222"
 * ```
 */
export function redactServerUrl(text: string): string {
  return text.replace(WORD_WITH_AT, (word) => {
    const scheme = SCHEME.exec(word)?.[0] ?? "";
    const rest = word.slice(scheme.length);
    const at = rest.lastIndexOf("@");
    const info = rest.slice(0, at);
    const colon = info.indexOf(":");
    const shown = colon === -1 ? "***" : `${info.slice(0, colon)}:***`;
    return `${scheme}${shown}${rest.slice(at)}`;
  });
}
