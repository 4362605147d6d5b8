/**
 * The NATS auth-callout service (ADR-26) and its OIDC verification: run it
 * with `deno run -A callout/main.ts --config <file>` (see `--help`). A
 * client connects with an OIDC token as its NATS token; the callout
 * verifies it against the issuer's JWKS and answers nats-server with a
 * user JWT holding exactly the permissions of its role — `device-<id>`
 * gets {@linkcode devicePermissions}, a configured operator subject
 * {@linkcode operatorPermissions} — or refuses it with a reason.
 *
 * May import `contracts/` and `nats/` only.
 *
 * @example
 * ```ts ignore
 * import { CalloutService, loadCalloutConfig, OidcVerifier } from "@harmony/fleet/callout";
 * const config = await loadCalloutConfig("callout.toml");
 * await using service = new CalloutService(nc, {
 *   ...config, verifier: new OidcVerifier(config.oidc), log: jsonLineLog(),
 * });
 * await service.start();
 * ```
 *
 * @module
 */
export { devicePermissions, operatorPermissions } from "../contracts/mod.ts";
export * from "./authorization.ts";
export * from "./config.ts";
export * from "./exit_codes.ts";
export * from "./init.ts";
export * from "./jwks_cache.ts";
export * from "./log.ts";
export * from "./oidc_verifier.ts";
export * from "./role.ts";
export * from "./run_callout.ts";
export * from "./service.ts";
export * from "./user_jwt.ts";
