/**
 * Token files: a file holding the token to connect with (an OIDC token a
 * sidecar keeps fresh, for the auth callout), read again at every connect
 * and reconnect so a rotated token is picked up without a restart.
 *
 * @module
 */
import type { Authenticator } from "./core_types.ts";
import { NatsAuthError } from "./auth_error.ts";
import { fileReadProblem } from "./_file_problem.ts";

/** Options of {@linkcode tokenFileAuthenticator}. */
export interface TokenFileAuthenticatorOptions {
  /**
   * The token already read (by {@linkcode readTokenFile}), used when a later
   * read fails before any read succeeded.
   *
   * @default {undefined (a failed read before any success throws)}
   */
  token?: string;
  /**
   * Called when a read at connect time fails; the last token read is sent
   * instead (the server refuses it if it has expired, and the next
   * reconnect reads the file again). For logging: the error names the file
   * and the problem, never the token.
   *
   * @default {undefined (nothing is called)}
   */
  onReadError?: (error: NatsAuthError) => void;
}

function tokenFileError(
  path: string,
  problem: string,
  cause?: unknown,
): NatsAuthError {
  return new NatsAuthError(
    `Cannot use NATS token file ${JSON.stringify(path)}: ${problem}`,
    { path, setting: "tokenFile", cause },
  );
}

/** The token in `text`: surrounding whitespace (a final newline) dropped. */
function tokenOf(text: string, path: string): string {
  const token = text.trim();
  if (token === "") {
    throw tokenFileError(
      path,
      text === "" ? "the file is empty" : "the file holds only whitespace",
    );
  }
  return token;
}

/**
 * Reads a token file: its text without surrounding whitespace, so a final
 * newline is not part of the token.
 *
 * @throws {NatsAuthError} (`setting: "tokenFile"`, `path`) when the file is
 *   missing, unreadable, not a regular file, empty or only whitespace; the
 *   message names the file and the problem, never the token.
 * @example
 * ```ts ignore
 * import { readTokenFile } from "./token_file.ts";
 * const token = await readTokenFile("/run/secrets/nats-token");
 * ```
 */
export async function readTokenFile(path: string): Promise<string> {
  let text: string;
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) throw tokenFileError(path, notAFile(info));
    text = await Deno.readTextFile(path);
  } catch (cause) {
    if (cause instanceof NatsAuthError) throw cause;
    throw tokenFileError(path, fileReadProblem(cause), cause);
  }
  return tokenOf(text, path);
}

/**
 * Reads a token file synchronously (nats-core asks an authenticator for
 * credentials synchronously); see {@linkcode readTokenFile}.
 *
 * @throws {NatsAuthError} as {@linkcode readTokenFile} does.
 * @example
 * ```ts ignore
 * import { readTokenFileSync } from "./token_file.ts";
 * const token = readTokenFileSync("/run/secrets/nats-token");
 * ```
 */
export function readTokenFileSync(path: string): string {
  let text: string;
  try {
    const info = Deno.statSync(path);
    if (!info.isFile) throw tokenFileError(path, notAFile(info));
    text = Deno.readTextFileSync(path);
  } catch (cause) {
    if (cause instanceof NatsAuthError) throw cause;
    throw tokenFileError(path, fileReadProblem(cause), cause);
  }
  return tokenOf(text, path);
}

function notAFile(info: Deno.FileInfo): string {
  return info.isDirectory ? "it is a directory" : "it is not a regular file";
}

/**
 * A nats-core authenticator that sends the token in the file at `path`,
 * read again each time the client connects or reconnects: replace the file
 * (write a new one and rename it over the old, as a Kubernetes projected
 * volume or a token refresher does) and the next connection uses the new
 * token. A read that fails keeps the last token read and reports the error
 * to `options.onReadError`.
 *
 * @throws {NatsAuthError} (from the authenticator, at connect time) only
 *   when no read has ever succeeded and `options.token` is not given.
 * @example
 * ```ts ignore
 * import { connect } from "./connect.ts";
 * import { readTokenFile, tokenFileAuthenticator } from "./token_file.ts";
 *
 * const path = "/run/secrets/nats-token";
 * const nc = await connect({
 *   servers: "nats://127.0.0.1:4222",
 *   authenticator: tokenFileAuthenticator(path, {
 *     token: await readTokenFile(path),
 *     onReadError: (error) => console.warn(error.message),
 *   }),
 * });
 * ```
 */
export function tokenFileAuthenticator(
  path: string,
  options: TokenFileAuthenticatorOptions = {},
): Authenticator {
  let last = options.token;
  return () => {
    try {
      last = readTokenFileSync(path);
    } catch (error) {
      if (!(error instanceof NatsAuthError) || last === undefined) throw error;
      options.onReadError?.(error);
    }
    return { auth_token: last };
  };
}
