/** Why the device registry could not be read or created. */
export const RegistryFailure = {
  /** The stream does not exist: run `fleet registry init`. */
  NotFound: "not_found",
  /** The server (or the account) has no JetStream. */
  JetStreamDisabled: "jetstream_disabled",
  /** The user may not use that part of the JetStream API (its permissions). */
  Forbidden: "forbidden",
  /** The JetStream API did not answer, or the listing did not finish, in time. */
  Timeout: "timeout",
  /** The stream exists but is not a registry (other subjects or limits). */
  Mismatch: "mismatch",
  /** Anything else the JetStream API or the connection reported. */
  Failed: "failed",
} as const;
/** One of {@linkcode RegistryFailure}. */
export type RegistryFailure =
  typeof RegistryFailure[keyof typeof RegistryFailure];

/** Options of {@linkcode RegistryError}. */
export interface RegistryErrorOptions extends ErrorOptions {
  /** The registry stream's name. */
  stream: string;
  /** Why it failed. */
  reason: RegistryFailure;
}

/**
 * Thrown when the device registry (the `FLEET_DEVICES` JetStream stream)
 * cannot be listed or created. `reason` says why; for `"not_found"` the
 * message says to run `fleet registry init`.
 *
 * @example
 * ```ts ignore
 * import { RegistryError } from "@harmony/fleet/operator";
 * try {
 *   await client.devices();
 * } catch (error) {
 *   if (error instanceof RegistryError && error.reason === "not_found") {
 *     console.error(error.message); // … run `fleet registry init`
 *   }
 * }
 * ```
 */
export class RegistryError extends Error {
  /** The registry stream's name. */
  readonly stream: string;
  /** Why it failed. */
  readonly reason: RegistryFailure;

  /** Builds the error; `message` is used as is. */
  constructor(message: string, options: RegistryErrorOptions) {
    super(message, options);
    this.name = "RegistryError";
    this.stream = options.stream;
    this.reason = options.reason;
  }
}
