/**
 * The NATS user JWT the callout issues: the role's permissions, the target
 * account as audience, an expiry no later than the OIDC token's.
 *
 * @module
 */
import { encodeUser } from "@nats-io/jwt";
import { fromPublic } from "@nats-io/nkeys";
import { nativeSigner } from "./_native_signer.ts";
import type { NatsPermissions } from "../contracts/mod.ts";

/** The permissions of a NATS user JWT (`nats.pub`, `nats.sub`, `nats.resp`). */
export interface UserJwtPermissions {
  /** Subjects the user may publish to. */
  pub: { allow: string[] };
  /** Subjects the user may subscribe to. */
  sub: { allow: string[] };
  /** Replies to requests received: most messages, for how many nanoseconds. */
  resp?: { max: number; ttl: number };
}

/**
 * The `pub`/`sub`/`resp` permissions of a user JWT for `permissions`
 * (`resp.ttl` in nanoseconds, as nats-server reads it).
 *
 * @example
 * ```ts
 * import { devicePermissions } from "../contracts/mod.ts";
 * import { jwtPermissions } from "./user_jwt.ts";
 * jwtPermissions(devicePermissions("d1")).resp; // { max: 1000000, ttl: 3600000000000 }
 * ```
 */
export function jwtPermissions(
  permissions: NatsPermissions,
): UserJwtPermissions {
  const out: UserJwtPermissions = {
    pub: { allow: [...permissions.publish.allow] },
    sub: { allow: [...permissions.subscribe.allow] },
  };
  const responses = permissions.allow_responses;
  if (responses !== undefined) {
    out.resp = { max: responses.max, ttl: responses.expiresMs * 1_000_000 };
  }
  return out;
}

/** Options of {@linkcode issueUserJwt}. */
export interface IssueUserJwtOptions {
  /** The user's public nkey (`U…`), from the authorization request. */
  userNkey: string;
  /** The user's name (the token's subject), for the server's log. */
  name: string;
  /** The permissions to grant. */
  permissions: NatsPermissions;
  /** The target account's name: the JWT's `aud`. */
  account: string;
  /** Expiry, seconds since the epoch (the OIDC token's `exp`). */
  expiresAtS: number;
}

/**
 * Signs a user JWT with the issuer account's seed.
 *
 * @example
 * ```ts
 * import { createAccount, createUser } from "@nats-io/nkeys";
 * import { devicePermissions } from "../contracts/mod.ts";
 * import { issueUserJwt } from "./user_jwt.ts";
 * const jwt = await issueUserJwt(createAccount().getSeed(), {
 *   userNkey: createUser().getPublicKey(), name: "device-d1",
 *   permissions: devicePermissions("d1"), account: "APP",
 *   expiresAtS: Math.floor(Date.now() / 1000) + 60,
 * });
 * ```
 */
export async function issueUserJwt(
  issuerSeed: Uint8Array,
  options: IssueUserJwtOptions,
): Promise<string> {
  return await encodeUser(
    options.name,
    fromPublic(options.userNkey),
    nativeSigner(issuerSeed),
    jwtPermissions(options.permissions),
    { aud: options.account, exp: options.expiresAtS },
  );
}
