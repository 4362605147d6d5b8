/**
 * Verifies an OIDC token as the callout accepts it: a compact JWS, an
 * allowed asymmetric algorithm, a key from the issuer's JWKS, `iss`, `aud`,
 * `exp` and `nbf` with a small leeway.
 *
 * @module
 */
import { decodeProtectedHeader, errors as joseErrors, jwtVerify } from "jose";
import { JwksCache, JwksUnavailableError } from "./jwks_cache.ts";
import type { CalloutOidcConfig } from "./config.ts";

/**
 * Why a token was refused, as a short code (logged, and sent to
 * nats-server, which logs it).
 */
export const RefusalReason = {
  /** No token was sent. */
  TokenMissing: "token_missing",
  /** Longer than `max_token_bytes`. */
  TokenTooLarge: "token_too_large",
  /** Not a compact JWS / JWT. */
  TokenMalformed: "token_malformed",
  /** `alg` not in the allow-list (`none` and HMAC never are). */
  AlgorithmNotAllowed: "algorithm_not_allowed",
  /** The `kid` is not in the issuer's JWKS. */
  UnknownKid: "unknown_kid",
  /** The signature does not verify. */
  BadSignature: "bad_signature",
  /** `exp` has passed (beyond the leeway). */
  TokenExpired: "token_expired",
  /** `nbf` is in the future (beyond the leeway). */
  TokenNotYetValid: "token_not_yet_valid",
  /** `iss` is not the configured issuer. */
  WrongIssuer: "wrong_issuer",
  /** `aud` does not contain the configured audience. */
  WrongAudience: "wrong_audience",
  /** Another claim is missing or malformed. */
  ClaimInvalid: "claim_invalid",
  /** The issuer's keys cannot be fetched. */
  JwksUnavailable: "jwks_unavailable",
  /** The subject maps to no role. */
  SubjectNotAllowed: "subject_not_allowed",
  /** The authorization request itself could not be read. */
  BadRequest: "bad_request",
} as const;

/** One of the values of {@linkcode RefusalReason}. */
export type RefusalReason = typeof RefusalReason[keyof typeof RefusalReason];

/**
 * Thrown when a token is refused. `reason` is a {@linkcode RefusalReason};
 * the message adds detail but never the token.
 *
 * @example
 * ```ts
 * import { RefusalReason, TokenRefusedError } from "./oidc_verifier.ts";
 * const error = new TokenRefusedError(RefusalReason.TokenExpired, "exp passed");
 * error.reason; // "token_expired"
 * ```
 */
export class TokenRefusedError extends Error {
  /** Why, as a short code. */
  readonly reason: RefusalReason;
  /**
   * The token's `sub` when its signature verified but a claim did not
   * (expired, wrong audience, …): trustworthy, and useful in the log.
   */
  readonly subject?: string;

  /** Builds the error; the message is `<reason>: <detail>`. */
  constructor(
    reason: RefusalReason,
    detail: string,
    options?: ErrorOptions & { subject?: string },
  ) {
    super(`${reason}: ${detail}`, options);
    this.name = "TokenRefusedError";
    this.reason = reason;
    this.subject = options?.subject;
  }
}

/** What a verified token says. */
export interface VerifiedToken {
  /** `sub`. */
  subject: string;
  /** `exp`, seconds since the epoch. */
  expiresAtS: number;
  /** The header's `kid`, if any. */
  kid?: string;
}

/** Options of {@linkcode OidcVerifier}. */
export type OidcVerifierOptions = Omit<CalloutOidcConfig, "jwksUri"> & {
  /** Skip discovery. @default {undefined} */
  jwksUri?: string;
};

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

/**
 * Verifies OIDC tokens against one issuer's JWKS (see
 * {@linkcode JwksCache} for caching and refresh).
 *
 * @example
 * ```ts ignore
 * import { OidcVerifier } from "./oidc_verifier.ts";
 * const verifier = new OidcVerifier({
 *   issuer: "https://idp.example.com", audience: "nats",
 *   algorithms: ["ES256"], clockLeewayS: 30, jwksRefreshMinIntervalS: 30,
 *   jwksCacheMaxAgeS: 600, maxTokenBytes: 8192,
 * });
 * const { subject } = await verifier.verify(token);
 * ```
 */
export class OidcVerifier {
  readonly #options: OidcVerifierOptions;
  readonly #jwks: JwksCache;

  /** Builds a verifier; keys are fetched on first use. */
  constructor(options: OidcVerifierOptions) {
    this.#options = options;
    this.#jwks = new JwksCache({
      issuer: options.issuer,
      jwksUri: options.jwksUri,
      refreshMinIntervalMs: options.jwksRefreshMinIntervalS * 1000,
      maxAgeMs: options.jwksCacheMaxAgeS * 1000,
    });
  }

  /** The key cache (for its fetch count and URL). */
  get jwks(): JwksCache {
    return this.#jwks;
  }

  /**
   * Verifies `token`; resolves with its subject and expiry.
   *
   * @throws {TokenRefusedError} saying why.
   */
  async verify(token: string | undefined): Promise<VerifiedToken> {
    const o = this.#options;
    if (token === undefined || token === "") {
      throw new TokenRefusedError(RefusalReason.TokenMissing, "no token sent");
    }
    if (token.length > o.maxTokenBytes) {
      throw new TokenRefusedError(
        RefusalReason.TokenTooLarge,
        `${token.length} bytes, more than ${o.maxTokenBytes}`,
      );
    }
    if (!COMPACT_JWS.test(token)) {
      throw new TokenRefusedError(
        RefusalReason.TokenMalformed,
        "not a compact JWS",
      );
    }
    let alg: unknown;
    let kid: unknown;
    try {
      ({ alg, kid } = decodeProtectedHeader(token));
    } catch (cause) {
      throw new TokenRefusedError(
        RefusalReason.TokenMalformed,
        "unreadable header",
        { cause },
      );
    }
    if (typeof alg !== "string" || !(o.algorithms as string[]).includes(alg)) {
      throw new TokenRefusedError(
        RefusalReason.AlgorithmNotAllowed,
        `alg ${JSON.stringify(alg)} is not one of ${o.algorithms.join(", ")}`,
      );
    }
    try {
      const { payload } = await jwtVerify(token, this.#jwks.getKey, {
        issuer: o.issuer,
        audience: o.audience,
        algorithms: [...o.algorithms],
        clockTolerance: o.clockLeewayS,
        requiredClaims: ["iss", "aud", "exp", "sub"],
      });
      if (typeof payload.sub !== "string" || payload.sub === "") {
        throw new TokenRefusedError(RefusalReason.ClaimInvalid, "empty sub");
      }
      return {
        subject: payload.sub,
        expiresAtS: payload.exp!,
        kid: typeof kid === "string" ? kid : undefined,
      };
    } catch (error) {
      throw refusal(error);
    }
  }
}

function refusal(error: unknown): TokenRefusedError {
  if (error instanceof TokenRefusedError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  // jose checks the claims only after the signature: their sub is genuine.
  const payload = error instanceof joseErrors.JWTClaimValidationFailed ||
      error instanceof joseErrors.JWTExpired
    ? error.payload
    : undefined;
  const subject = typeof payload?.sub === "string" ? payload.sub : undefined;
  const make = (reason: RefusalReason) =>
    new TokenRefusedError(reason, detail, { cause: error, subject });
  if (error instanceof JwksUnavailableError) {
    return make(RefusalReason.JwksUnavailable);
  }
  if (error instanceof joseErrors.JWTExpired) {
    return make(RefusalReason.TokenExpired);
  }
  if (error instanceof joseErrors.JWTClaimValidationFailed) {
    switch (error.claim) {
      case "nbf":
        return make(RefusalReason.TokenNotYetValid);
      case "iss":
        return make(RefusalReason.WrongIssuer);
      case "aud":
        return make(RefusalReason.WrongAudience);
      default:
        return make(RefusalReason.ClaimInvalid);
    }
  }
  if (error instanceof joseErrors.JWKSNoMatchingKey) {
    return make(RefusalReason.UnknownKid);
  }
  if (error instanceof joseErrors.JWSSignatureVerificationFailed) {
    return make(RefusalReason.BadSignature);
  }
  if (
    error instanceof joseErrors.JOSEAlgNotAllowed ||
    error instanceof joseErrors.JOSENotSupported
  ) {
    return make(RefusalReason.AlgorithmNotAllowed);
  }
  return make(RefusalReason.TokenMalformed);
}
