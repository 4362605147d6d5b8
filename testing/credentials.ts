/**
 * A NATS user name and password, as the rendered nats-server configs (static
 * users, the auth callout's own user) take them.
 *
 * @module
 */

/** A user name and password. */
export interface Credentials {
  /** The NATS user name. */
  user: string;
  /** The NATS password. */
  password: string;
}
