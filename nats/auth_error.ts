/**
 * The error of credentials that cannot be used, shared by `auth.ts` and
 * `token_file.ts`.
 *
 * @module
 */

/** Which credential setting a {@linkcode NatsAuthError} is about, when one file is. */
export type NatsAuthSetting = "credsFile" | "tokenFile";

/** Options of the {@linkcode NatsAuthError} constructor. */
export interface NatsAuthErrorOptions extends ErrorOptions {
  /**
   * The credentials file at fault.
   *
   * @default {undefined (no file is at fault)}
   */
  path?: string;
  /**
   * The setting that named the file: `credsFile` or `tokenFile`.
   *
   * @default {"credsFile" when `path` is given, else undefined}
   */
  setting?: NatsAuthSetting;
}

/**
 * Credentials that cannot be used: two kinds at once, a password without a
 * user, a `.creds` file that is missing or malformed, a token file that is
 * missing, unreadable or empty. A `TypeError` (a bad argument). Messages
 * name the file and the problem, never a secret.
 *
 * @example
 * ```ts
 * import { authConnectionOptions, NatsAuthError } from "./auth.ts";
 * await authConnectionOptions({ password: "x" }).catch((error) => {
 *   error instanceof NatsAuthError; // true
 * });
 * ```
 */
export class NatsAuthError extends TypeError {
  /** The credentials file at fault, when a file is. */
  readonly path?: string;
  /** Which setting named that file (`credsFile` or `tokenFile`), when a file is at fault. */
  readonly setting?: NatsAuthSetting;

  /** Builds the error; `options.path` names the file at fault, `options.setting` the setting that named it. */
  constructor(message: string, options?: NatsAuthErrorOptions) {
    super(message, options);
    this.name = "NatsAuthError";
    this.path = options?.path;
    this.setting = options?.setting ??
      (options?.path === undefined ? undefined : "credsFile");
  }
}
