import { credsAuthenticator, nkeys } from "@nats-io/nats-core";
import type { ConnectionOptions } from "./core_types.ts";
import { fileReadProblem } from "./_file_problem.ts";
import { NatsAuthError } from "./auth_error.ts";
import { readTokenFile, tokenFileAuthenticator } from "./token_file.ts";

export {
  NatsAuthError,
  type NatsAuthErrorOptions,
  type NatsAuthSetting,
} from "./auth_error.ts";

/**
 * How to authenticate to NATS: user and password, a token, a token file, or
 * a `.creds` file (user JWT and NKey seed) — one of them, or none.
 */
export interface NatsAuth {
  /** User name; `password` needs it. */
  user?: string;
  /** Password of `user`. */
  password?: string;
  /** Token authentication. */
  token?: string;
  /** Path of a NATS `.creds` file. */
  credsFile?: string;
  /**
   * Path of a file holding the token (surrounding whitespace dropped); read
   * again at every connect and reconnect, so a rotated token is used.
   */
  tokenFile?: string;
}

/** Options of {@linkcode authConnectionOptions}. */
export interface AuthConnectionOptionsOptions {
  /**
   * Called when the token file cannot be read at a reconnect (the last
   * token read is sent instead); see `tokenFileAuthenticator`.
   *
   * @default {undefined (nothing is called)}
   */
  onTokenFileError?: (error: NatsAuthError) => void;
}

/** The connection options that carry credentials. */
export type AuthConnectionOptions = Pick<
  ConnectionOptions,
  "user" | "pass" | "token" | "authenticator"
>;

/** A `.creds` file, checked: the user JWT and the user's NKey seed. */
export interface CredsFile {
  /** The user JWT, as in the file. */
  jwt: string;
  /** The NKey seed (`SU…`), as bytes. */
  seed: Uint8Array;
}

// `-----BEGIN NATS USER JWT-----` … `------END NATS USER JWT------`, as nsc writes them.
const BLOCK =
  /^-{3,}\s*BEGIN ([A-Z ]+?)\s*-{3,}\r?\n([\s\S]*?)\r?\n-{3,}\s*END \1\s*-{3,}\r?$/gm;
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const JWT_BLOCK = "NATS USER JWT";
const SEED_BLOCK = "USER NKEY SEED";

/**
 * Checks the text of a NATS `.creds` file: a `NATS USER JWT` block with a
 * JWT and a `USER NKEY SEED` block with a valid user seed.
 *
 * @throws {NatsAuthError} naming `path` and what is wrong; the message
 *   never quotes the JWT or the seed.
 * @example
 * ```ts ignore
 * import { parseCredsFile } from "./auth.ts";
 * const { jwt } = parseCredsFile(await Deno.readFile("user.creds"), "user.creds");
 * ```
 */
export function parseCredsFile(bytes: Uint8Array, path: string): CredsFile {
  const fail = (problem: string): never => {
    throw new NatsAuthError(
      `Cannot use NATS credentials file ${JSON.stringify(path)}: ${problem}`,
      { path },
    );
  };
  const text = new TextDecoder().decode(bytes);
  const blocks = new Map<string, string>();
  for (const match of text.matchAll(BLOCK)) {
    if (!blocks.has(match[1])) blocks.set(match[1], match[2].trim());
  }
  const jwt = blocks.get(JWT_BLOCK) ??
    fail(`no "BEGIN ${JWT_BLOCK}" block; expected a file written by nsc`);
  const seedText = blocks.get(SEED_BLOCK) ??
    fail(`no "BEGIN ${SEED_BLOCK}" block; expected a file written by nsc`);
  if (!JWT.test(jwt)) fail("the user JWT is not three base64url parts");
  const seed = new TextEncoder().encode(seedText);
  let publicKey: string;
  try {
    publicKey = nkeys.fromSeed(seed).getPublicKey();
  } catch {
    return fail("the seed is not a valid NATS user seed");
  }
  if (!publicKey.startsWith("U")) fail("the seed is not a user seed (SU…)");
  return { jwt, seed };
}

/**
 * Reads and checks a NATS `.creds` file (see {@linkcode parseCredsFile}).
 *
 * @throws {NatsAuthError} when the file cannot be read or is malformed.
 * @example
 * ```ts ignore
 * import { readCredsFile } from "./auth.ts";
 * await readCredsFile("/etc/fleet/device.creds");
 * ```
 */
export async function readCredsFile(path: string): Promise<CredsFile> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (cause) {
    const problem = fileReadProblem(cause);
    throw new NatsAuthError(
      `Cannot use NATS credentials file ${JSON.stringify(path)}: ${problem}`,
      { path, cause },
    );
  }
  return parseCredsFile(bytes, path);
}

/**
 * Maps credentials to the connection options that carry them, once for
 * every program (agent, CLI, library): `user`/`pass`, `token`, or an
 * authenticator for a `.creds` file or a token file, which is read and
 * checked here so a bad file fails before any connection is tried. A token
 * file is read again at every reconnect (see `tokenFileAuthenticator`).
 *
 * @throws {NatsAuthError} for a password without a user, two kinds of
 *   credentials at once, an unusable `.creds` file, or a token file that is
 *   missing, unreadable or empty.
 * @example
 * ```ts
 * import { authConnectionOptions } from "./auth.ts";
 * await authConnectionOptions({ user: "admin", password: "s3cret" }); // { user: "admin", pass: "s3cret" }
 * ```
 */
export async function authConnectionOptions(
  auth: NatsAuth,
  options: AuthConnectionOptionsOptions = {},
): Promise<AuthConnectionOptions> {
  const { user, password, token, credsFile, tokenFile } = auth;
  if (password !== undefined && user === undefined) {
    throw new NatsAuthError("Cannot authenticate: a password needs a user");
  }
  const kinds = [
    user !== undefined ? "user/password" : undefined,
    token !== undefined ? "token" : undefined,
    credsFile !== undefined ? "credentials file" : undefined,
    tokenFile !== undefined ? "token file" : undefined,
  ].filter((kind) => kind !== undefined);
  if (kinds.length > 1) {
    throw new NatsAuthError(
      `Cannot authenticate: ${
        kinds.join(" and ")
      } cannot be used together; choose one`,
    );
  }
  if (user !== undefined) {
    return password === undefined ? { user } : { user, pass: password };
  }
  if (token !== undefined) return { token };
  if (tokenFile !== undefined) {
    return {
      authenticator: tokenFileAuthenticator(tokenFile, {
        token: await readTokenFile(tokenFile),
        onReadError: options.onTokenFileError,
      }),
    };
  }
  if (credsFile !== undefined) {
    const { jwt, seed } = await readCredsFile(credsFile);
    return {
      authenticator: credsAuthenticator(
        new TextEncoder().encode(
          `-----BEGIN ${JWT_BLOCK}-----\n${jwt}\n------END ${JWT_BLOCK}------\n\n` +
            `-----BEGIN ${SEED_BLOCK}-----\n${
              new TextDecoder().decode(seed)
            }\n------END ${SEED_BLOCK}------\n`,
        ),
      ),
    };
  }
  return {};
}
