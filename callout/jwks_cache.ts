/**
 * The OIDC issuer's keys, fetched once and kept: refetched when older than
 * a maximum age, or when a token names a `kid` not in the set — at most
 * once per minimum interval, so a flood of unknown-kid tokens cannot make
 * the callout hammer the issuer.
 *
 * @module
 */
import {
  createLocalJWKSet,
  errors as joseErrors,
  type FlattenedJWSInput,
  type JWSHeaderParameters,
} from "jose";

/** Options of {@linkcode JwksCache}. */
export interface JwksCacheOptions {
  /**
   * The OIDC issuer: when `jwksUri` is not given, its discovery document
   * (`<issuer>/.well-known/openid-configuration`) says where the keys are;
   * the document's `issuer` must equal it.
   */
  issuer: string;
  /**
   * Where the keys are, skipping discovery.
   *
   * @default {undefined (discovery)}
   */
  jwksUri?: string;
  /**
   * Fewest milliseconds between two fetches caused by an unknown `kid`.
   *
   * @default {30_000}
   */
  refreshMinIntervalMs?: number;
  /**
   * Keys older than this are refetched before use.
   *
   * @default {600_000}
   */
  maxAgeMs?: number;
  /**
   * How long one HTTP request may take.
   *
   * @default {5_000}
   */
  fetchTimeoutMs?: number;
}

/**
 * Thrown when the keys cannot be fetched (issuer down, bad document).
 *
 * @example
 * ```ts
 * import { JwksUnavailableError } from "./jwks_cache.ts";
 * new JwksUnavailableError("Cannot fetch the JWKS").name; // "JwksUnavailableError"
 * ```
 */
export class JwksUnavailableError extends Error {
  /** Builds the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "JwksUnavailableError";
  }
}

type KeyResolver = ReturnType<typeof createLocalJWKSet>;

/**
 * A cached JWKS usable as the key argument of jose's `jwtVerify`
 * ({@linkcode JwksCache.getKey}).
 *
 * @example
 * ```ts ignore
 * import { jwtVerify } from "jose";
 * import { JwksCache } from "./jwks_cache.ts";
 * const jwks = new JwksCache({ issuer: "https://idp.example.com" });
 * await jwtVerify(token, jwks.getKey, { algorithms: ["ES256"] });
 * ```
 */
export class JwksCache {
  readonly #options: Required<Omit<JwksCacheOptions, "jwksUri">>;
  #jwksUri?: string;
  #local?: KeyResolver;
  #fetchedAt = -Infinity;
  #attemptedAt = -Infinity;
  #pending?: Promise<void>;
  #fetches = 0;

  /** Builds an empty cache; nothing is fetched until a key is needed. */
  constructor(options: JwksCacheOptions) {
    this.#jwksUri = options.jwksUri;
    this.#options = {
      issuer: options.issuer,
      refreshMinIntervalMs: options.refreshMinIntervalMs ?? 30_000,
      maxAgeMs: options.maxAgeMs ?? 600_000,
      fetchTimeoutMs: options.fetchTimeoutMs ?? 5_000,
    };
  }

  /** How many times the key set was fetched. */
  get fetches(): number {
    return this.#fetches;
  }

  /** The JWKS URL in use (after discovery), if known yet. */
  get jwksUri(): string | undefined {
    return this.#jwksUri;
  }

  /**
   * Fetches the keys now unless fresh ones are held; rejects with
   * {@linkcode JwksUnavailableError}.
   */
  async warmUp(): Promise<void> {
    if (!this.#local || this.#age() > this.#options.maxAgeMs) {
      await this.#reload();
    }
  }

  /**
   * The key for a token's protected header: jose's key-resolver signature.
   * Rejects with jose's `JWKSNoMatchingKey` for a `kid` the issuer does
   * not have (after one rate-limited refetch) and with
   * {@linkcode JwksUnavailableError} when the keys cannot be fetched.
   */
  getKey = async (
    header: JWSHeaderParameters,
    token: FlattenedJWSInput,
  ): ReturnType<KeyResolver> => {
    await this.warmUp();
    try {
      return await this.#local!(header, token);
    } catch (error) {
      const mayRefresh = error instanceof joseErrors.JWKSNoMatchingKey &&
        performance.now() - this.#attemptedAt >=
          this.#options.refreshMinIntervalMs;
      if (!mayRefresh) throw error;
      await this.#reload();
      return await this.#local!(header, token);
    }
  };

  #age(): number {
    return performance.now() - this.#fetchedAt;
  }

  #reload(): Promise<void> {
    this.#pending ??= this.#fetchKeys().finally(() =>
      this.#pending = undefined
    );
    return this.#pending;
  }

  async #fetchKeys(): Promise<void> {
    this.#attemptedAt = performance.now();
    this.#jwksUri ??= await this.#discover();
    const document = await this.#getJson(this.#jwksUri, "the JWKS");
    let local: KeyResolver;
    try {
      local = createLocalJWKSet(document as never);
    } catch (cause) {
      throw new JwksUnavailableError(
        `Cannot use the JWKS of "${this.#jwksUri}": ${
          (cause as Error).message
        }`,
        { cause },
      );
    }
    this.#fetches++;
    this.#local = local;
    this.#fetchedAt = performance.now();
  }

  async #discover(): Promise<string> {
    const issuer = this.#options.issuer;
    const url = `${
      issuer.replace(/\/+$/, "")
    }/.well-known/openid-configuration`;
    const document = await this.#getJson(url, "the OIDC discovery document");
    const { issuer: named, jwks_uri: jwksUri } = document as Record<
      string,
      unknown
    >;
    if (named !== issuer) {
      throw new JwksUnavailableError(
        `Cannot use the OIDC discovery document "${url}": its issuer ${
          JSON.stringify(named)
        } is not ${JSON.stringify(issuer)}`,
      );
    }
    if (typeof jwksUri !== "string" || !/^https?:\/\//.test(jwksUri)) {
      throw new JwksUnavailableError(
        `Cannot use the OIDC discovery document "${url}": no http(s) jwks_uri`,
      );
    }
    return jwksUri;
  }

  async #getJson(url: string, what: string): Promise<unknown> {
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(),
      this.#options.fetchTimeoutMs,
    );
    try {
      const response = await fetch(url, {
        signal: controller.signal,
        headers: { accept: "application/json" },
        redirect: "error",
      });
      if (!response.ok) {
        await response.body?.cancel();
        throw new Error(`HTTP ${response.status}`);
      }
      return await response.json();
    } catch (cause) {
      throw new JwksUnavailableError(
        `Cannot fetch ${what} "${url}": ${
          controller.signal.aborted
            ? `no answer within ${this.#options.fetchTimeoutMs} ms`
            : (cause as Error).message
        }`,
        { cause },
      );
    } finally {
      clearTimeout(timer);
    }
  }
}
