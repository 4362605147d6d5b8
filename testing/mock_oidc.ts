// A mock OIDC issuer on loopback for auth tests: discovery, JWKS, token
// minting, key rotation, and deliberately bad tokens for the refusal matrix.

import {
  exportJWK,
  exportSPKI,
  generateKeyPair,
  importJWK,
  type JWK,
  SignJWT,
} from "jose";

/** The signing algorithms {@linkcode MockOidcIssuer} can use. */
export type MockOidcAlgorithm = "ES256" | "RS256";

/** Options of {@linkcode MockOidcIssuer.start}. */
export interface MockOidcIssuerOptions {
  /**
   * Signing algorithm. ES256 keys are made in about a millisecond; RSA-2048
   * key generation is far slower on a loaded machine, so ES256 is the default.
   * @default {"ES256"}
   */
  algorithm?: MockOidcAlgorithm;
  /**
   * The `aud` claim of tokens that do not name one.
   * @default {"harmony-fleet-nats"}
   */
  audience?: string;
  /**
   * Token lifetime in seconds when `lifetimeS` / `lifetime_s` is not given.
   * @default {300}
   */
  defaultLifetimeS?: number;
}

/** Options of {@linkcode MockOidcIssuer.mint}. */
export interface MockOidcMintOptions {
  /** The `sub` claim, e.g. `"device-d-17"` or an operator subject. */
  subject: string;
  /**
   * Seconds from `iat` to `exp`; may be negative (an expired token).
   * @default {the issuer's `defaultLifetimeS`}
   */
  lifetimeS?: number;
  /**
   * The `aud` claim.
   * @default {the issuer's `audience`}
   */
  audience?: string | string[];
  /**
   * The `nbf` claim, seconds since the epoch; a future value makes a token
   * that is not yet valid.
   * @default {`issuedAtS`}
   */
  notBeforeS?: number;
  /**
   * The `iat` claim, seconds since the epoch; `exp` is `issuedAtS + lifetimeS`.
   * @default {now}
   */
  issuedAtS?: number;
  /**
   * The `iss` claim; anything but {@linkcode MockOidcIssuer.url} makes a
   * wrong-issuer token.
   * @default {the issuer's URL}
   */
  issuer?: string;
  /**
   * The header's `kid`; anything but the signing key's makes an unknown-kid
   * token (see {@linkcode mintUnknownKidToken}).
   * @default {the current key's kid}
   */
  kid?: string;
}

/** The body of a `POST /token` answer. */
export interface MockOidcTokenResponse {
  /** The minted JWT. */
  access_token: string;
  /** Always `"Bearer"`. */
  token_type: "Bearer";
  /** The token's lifetime in seconds. */
  expires_in: number;
}

/** A public key as `/jwks.json` serves it (an EC or RSA JWK). */
export type MockOidcPublicJwk = {
  /** The key id tokens name in their header. */
  kid: string;
  /** The key's algorithm. */
  alg: MockOidcAlgorithm;
  /** Always `"sig"`. */
  use: "sig";
  /** `"EC"` or `"RSA"`. */
  kty: string;
  /** The other public JWK members (`crv`, `x`, `y` or `n`, `e`). */
  [member: string]: unknown;
};

/** The claims of a token {@linkcode MockOidcIssuer.mint} makes. */
export type MockOidcClaims = {
  /** Issuer. */
  iss: string;
  /** Subject. */
  sub: string;
  /** Audience. */
  aud: string | string[];
  /** Issued at, seconds since the epoch. */
  iat: number;
  /** Not before, seconds since the epoch. */
  nbf: number;
  /** Expiry, seconds since the epoch. */
  exp: number;
  /** A random token id. */
  jti: string;
};

type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>["privateKey"];

interface SigningKey {
  kid: string;
  privateKey: PrivateKey;
  publicJwk: MockOidcPublicJwk;
}

/**
 * An OIDC issuer on `http://127.0.0.1:<port>` for tests. It serves
 * `/.well-known/openid-configuration`, `/jwks.json` and `POST /token` (form or
 * JSON body: `subject`, optional `lifetime_s`, `audience`; unauthenticated, as
 * it is a loopback test fixture). Tokens are minted in-process with
 * {@linkcode MockOidcIssuer.mint}; keys rotate with
 * {@linkcode MockOidcIssuer.rotateKey} and old ones leave the JWKS with
 * {@linkcode MockOidcIssuer.dropOldKeys}.
 *
 * @example
 * ```ts
 * import { MockOidcIssuer } from "./mock_oidc.ts";
 *
 * await using issuer = await MockOidcIssuer.start();
 * const token = await issuer.mint({ subject: "device-d-17", lifetimeS: 60 });
 * console.log(issuer.jwksUri, token.split(".").length); // … 3
 * ```
 */
export class MockOidcIssuer implements AsyncDisposable {
  /** The issuer URL (`iss`), e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** The signing algorithm of every key. */
  readonly algorithm: MockOidcAlgorithm;
  /** The default `aud` claim. */
  readonly audience: string;
  #defaultLifetimeS: number;
  #server: Deno.HttpServer<Deno.NetAddr>;
  #keys: SigningKey[];
  #jwksRequests = 0;
  #disposed?: Promise<void>;

  private constructor(
    key: SigningKey,
    options: Required<MockOidcIssuerOptions>,
  ) {
    this.#server = Deno.serve({
      hostname: "127.0.0.1",
      port: 0,
      onListen: () => {},
    }, (request) => this.#handle(request));
    const server = this.#server;
    this.url = `http://127.0.0.1:${server.addr.port}`;
    this.#keys = [key];
    this.algorithm = options.algorithm;
    this.audience = options.audience;
    this.#defaultLifetimeS = options.defaultLifetimeS;
  }

  /**
   * Makes a key pair and starts serving on a free loopback port.
   *
   * @example
   * ```ts
   * import { MockOidcIssuer } from "./mock_oidc.ts";
   *
   * await using issuer = await MockOidcIssuer.start({ algorithm: "RS256" });
   * console.log(issuer.url);
   * ```
   */
  static async start(
    options: MockOidcIssuerOptions = {},
  ): Promise<MockOidcIssuer> {
    const resolved = {
      algorithm: options.algorithm ?? "ES256",
      audience: options.audience ?? "harmony-fleet-nats",
      defaultLifetimeS: options.defaultLifetimeS ?? 300,
    };
    if (resolved.algorithm !== "ES256" && resolved.algorithm !== "RS256") {
      throw new TypeError(
        `Cannot start a mock OIDC issuer: unsupported algorithm "${resolved.algorithm}"`,
      );
    }
    return new MockOidcIssuer(await makeKey(resolved.algorithm), resolved);
  }

  /** `<url>/.well-known/openid-configuration`. */
  get discoveryUri(): string {
    return `${this.url}/.well-known/openid-configuration`;
  }

  /** `<url>/jwks.json`. */
  get jwksUri(): string {
    return `${this.url}/jwks.json`;
  }

  /** `<url>/token` (POST). */
  get tokenEndpoint(): string {
    return `${this.url}/token`;
  }

  /** How many requests `/jwks.json` has answered. */
  get jwksRequests(): number {
    return this.#jwksRequests;
  }

  /** The `kid` new tokens are signed with. */
  get currentKid(): string {
    return this.#keys[this.#keys.length - 1].kid;
  }

  /** The public keys `/jwks.json` serves, oldest first. */
  jwks(): { keys: MockOidcPublicJwk[] } {
    return { keys: this.#keys.map((key) => ({ ...key.publicJwk })) };
  }

  /** The claims {@linkcode MockOidcIssuer.mint} signs for `options`. */
  claims(options: MockOidcMintOptions): MockOidcClaims {
    if (typeof options.subject !== "string" || options.subject === "") {
      throw new TypeError(
        `Cannot mint a token: subject must be a non-empty string, got ${
          JSON.stringify(options.subject)
        }`,
      );
    }
    const lifetimeS = options.lifetimeS ?? this.#defaultLifetimeS;
    if (!Number.isInteger(lifetimeS)) {
      throw new RangeError(
        `Cannot mint a token: lifetime must be whole seconds, got "${lifetimeS}"`,
      );
    }
    const iat = options.issuedAtS ?? Math.floor(Date.now() / 1000);
    return {
      iss: options.issuer ?? this.url,
      sub: options.subject,
      aud: options.audience ?? this.audience,
      iat,
      nbf: options.notBeforeS ?? iat,
      exp: iat + lifetimeS,
      jti: crypto.randomUUID(),
    };
  }

  /**
   * Mints a compact JWT signed with the current key. The options can make
   * deliberately bad tokens: a negative `lifetimeS` (expired), a future
   * `notBeforeS`, a wrong `issuer` or `kid`.
   *
   * @example
   * ```ts
   * import { MockOidcIssuer } from "./mock_oidc.ts";
   *
   * await using issuer = await MockOidcIssuer.start();
   * const expired = await issuer.mint({ subject: "device-d-1", lifetimeS: -60 });
   * ```
   */
  async mint(options: MockOidcMintOptions): Promise<string> {
    const key = this.#keys[this.#keys.length - 1];
    return await new SignJWT(this.claims(options))
      .setProtectedHeader({
        alg: this.algorithm,
        typ: "JWT",
        kid: options.kid ?? key.kid,
      })
      .sign(key.privateKey);
  }

  /**
   * Makes a new key with a new `kid` and signs new tokens with it; older keys
   * stay in the JWKS until {@linkcode MockOidcIssuer.dropOldKeys}.
   * Returns the new `kid`.
   *
   * @example
   * ```ts
   * import { MockOidcIssuer } from "./mock_oidc.ts";
   *
   * await using issuer = await MockOidcIssuer.start();
   * const kid = await issuer.rotateKey();
   * issuer.dropOldKeys();
   * console.log(issuer.jwks().keys.map((key) => key.kid)); // [kid]
   * ```
   */
  async rotateKey(): Promise<string> {
    const key = await makeKey(this.algorithm);
    this.#keys.push(key);
    return key.kid;
  }

  /** Removes every key but the current one from the JWKS. */
  dropOldKeys(): void {
    this.#keys = this.#keys.slice(-1);
  }

  /** Shuts the server down (open connections included); idempotent. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#disposed ??= this.#server.shutdown();
    return this.#disposed;
  }

  async #handle(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (
      request.method === "GET" && path === "/.well-known/openid-configuration"
    ) {
      return Response.json({
        issuer: this.url,
        jwks_uri: this.jwksUri,
        token_endpoint: this.tokenEndpoint,
        id_token_signing_alg_values_supported: [this.algorithm],
        response_types_supported: ["id_token"],
        subject_types_supported: ["public"],
      });
    }
    if (request.method === "GET" && path === "/jwks.json") {
      this.#jwksRequests++;
      return Response.json(this.jwks());
    }
    if (request.method === "POST" && path === "/token") {
      return await this.#token(request);
    }
    await request.body?.cancel();
    return Response.json({ error: "not_found" }, { status: 404 });
  }

  async #token(request: Request): Promise<Response> {
    let fields: Record<string, unknown>;
    try {
      const type = request.headers.get("content-type") ?? "";
      fields = type.startsWith("application/json")
        ? await request.json()
        : Object.fromEntries(await request.formData());
      const lifetime = fields.lifetime_s;
      const lifetimeS = lifetime === undefined || lifetime === ""
        ? this.#defaultLifetimeS
        : Number(lifetime);
      if (!(lifetimeS > 0)) {
        throw new RangeError(`lifetime_s must be positive, got "${lifetime}"`);
      }
      const audience = fields.audience;
      const token = await this.mint({
        subject: fields.subject as string,
        lifetimeS,
        audience: typeof audience === "string" && audience !== ""
          ? audience
          : undefined,
      });
      const body: MockOidcTokenResponse = {
        access_token: token,
        token_type: "Bearer",
        expires_in: lifetimeS,
      };
      return Response.json(body, { headers: { "cache-control": "no-store" } });
    } catch (error) {
      return Response.json({
        error: "invalid_request",
        error_description: error instanceof Error
          ? error.message
          : String(error),
      }, { status: 400 });
    }
  }
}

async function makeKey(algorithm: MockOidcAlgorithm): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(algorithm);
  const kid = crypto.randomUUID();
  const publicJwk: MockOidcPublicJwk = {
    ...await exportJWK(publicKey),
    kty: algorithm === "ES256" ? "EC" : "RSA",
    kid,
    alg: algorithm,
    use: "sig",
  };
  return { kid, privateKey, publicJwk };
}

function base64url(value: unknown): string {
  return btoa(JSON.stringify(value))
    .replaceAll("+", "-").replaceAll("/", "_").replaceAll("=", "");
}

/**
 * Bad token: valid claims, header `alg: "none"` and an empty signature.
 *
 * @example
 * ```ts
 * import { MockOidcIssuer, mintNoneAlgToken } from "./mock_oidc.ts";
 *
 * await using issuer = await MockOidcIssuer.start();
 * const token = mintNoneAlgToken(issuer, { subject: "device-d-1" });
 * ```
 */
export function mintNoneAlgToken(
  issuer: MockOidcIssuer,
  options: MockOidcMintOptions,
): string {
  const header = { alg: "none", typ: "JWT", kid: issuer.currentKid };
  return `${base64url(header)}.${base64url(issuer.claims(options))}.`;
}

/**
 * Bad token (key confusion): HS256 with the issuer's current public key, as
 * SPKI PEM text, used as the HMAC secret.
 *
 * @example
 * ```ts
 * import { MockOidcIssuer, mintPublicKeyHmacToken } from "./mock_oidc.ts";
 *
 * await using issuer = await MockOidcIssuer.start();
 * const token = await mintPublicKeyHmacToken(issuer, { subject: "device-d-1" });
 * ```
 */
export async function mintPublicKeyHmacToken(
  issuer: MockOidcIssuer,
  options: MockOidcMintOptions,
): Promise<string> {
  const jwk = issuer.jwks().keys.at(-1)!;
  const publicKey = await importJWK(jwk as JWK, issuer.algorithm);
  if (publicKey instanceof Uint8Array) {
    throw new TypeError("Cannot read the issuer's public key");
  }
  const secret = new TextEncoder().encode(await exportSPKI(publicKey));
  return await new SignJWT(issuer.claims(options))
    .setProtectedHeader({ alg: "HS256", typ: "JWT", kid: issuer.currentKid })
    .sign(secret);
}

/**
 * Bad token: signed by a foreign key of the issuer's algorithm, with the
 * issuer's current `kid` in the header.
 *
 * @example
 * ```ts
 * import { MockOidcIssuer, mintForeignKeyToken } from "./mock_oidc.ts";
 *
 * await using issuer = await MockOidcIssuer.start();
 * const token = await mintForeignKeyToken(issuer, { subject: "device-d-1" });
 * ```
 */
export async function mintForeignKeyToken(
  issuer: MockOidcIssuer,
  options: MockOidcMintOptions,
): Promise<string> {
  const { privateKey } = await generateKeyPair(issuer.algorithm);
  return await new SignJWT(issuer.claims(options))
    .setProtectedHeader({
      alg: issuer.algorithm,
      typ: "JWT",
      kid: issuer.currentKid,
    })
    .sign(privateKey);
}

/**
 * Bad token: signed by the issuer's current key but with a `kid` the JWKS
 * does not have (a verifier must not try every key).
 *
 * @example
 * ```ts
 * import { MockOidcIssuer, mintUnknownKidToken } from "./mock_oidc.ts";
 *
 * await using issuer = await MockOidcIssuer.start();
 * const token = await mintUnknownKidToken(issuer, { subject: "device-d-1" });
 * ```
 */
export function mintUnknownKidToken(
  issuer: MockOidcIssuer,
  options: MockOidcMintOptions,
): Promise<string> {
  return issuer.mint({ ...options, kid: `unknown-${crypto.randomUUID()}` });
}
