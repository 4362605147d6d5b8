import { errors as natsErrors } from "@nats-io/nats-core";

/**
 * Whether `error` (or any error in its `cause` chain) is the server refusing
 * the credentials: an authorization violation, or a login whose credentials
 * (a callout's user JWT) expired. Such an error will not go away by retrying
 * with the same credentials, unlike an unreachable server.
 *
 * @example
 * ```ts
 * import { isAuthRefusal } from "@harmony/fleet/nats";
 * isAuthRefusal(new Error("connection refused")); // false
 * ```
 */
export function isAuthRefusal(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (
      e instanceof natsErrors.AuthorizationError ||
      e instanceof natsErrors.UserAuthenticationExpiredError
    ) {
      return true;
    }
  }
  return false;
}
