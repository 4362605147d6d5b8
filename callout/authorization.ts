/**
 * The auth-callout exchange with nats-server (ADR-26): decoding the
 * server's authorization request (decrypting it with the xkey when one is
 * configured) and encoding the signed response (encrypting it likewise).
 *
 * @module
 */
import { encodeAuthorizationResponse } from "@nats-io/jwt";
import { fromPublic } from "@nats-io/nkeys";
import { xkeyBox } from "./_xkey_box.ts";
import { nativeSigner, nativeVerify } from "./_native_signer.ts";

/**
 * The fields of nats-server's authorization request (ADR-26) the callout
 * reads; the request holds more.
 */
export interface AuthorizationRequest {
  /** The server asking: `id` is its public nkey (`N…`), `xkey` its curve key. */
  readonly server_id: {
    readonly id: string;
    readonly name?: string;
    readonly xkey?: string;
  };
  /** The public nkey (`U…`) the server made for this client. */
  readonly user_nkey: string;
  /** Who is connecting. */
  readonly client_info?: {
    readonly host?: string;
    readonly id?: number;
    readonly user?: string;
    readonly name?: string;
  };
  /** The client's CONNECT options; `auth_token` carries the OIDC token. */
  readonly connect_opts?: {
    readonly auth_token?: string;
    readonly user?: string;
    readonly name?: string;
    readonly lang?: string;
    readonly version?: string;
  };
}

/** The header nats-server puts its curve public key in when it encrypts. */
export const SERVER_XKEY_HEADER = "Nats-Server-Xkey";

/**
 * Thrown when an authorization request cannot be read: not encrypted as
 * configured, not a JWT signed by a server, no user nkey.
 *
 * @example
 * ```ts
 * import { AuthorizationRequestError } from "./authorization.ts";
 * new AuthorizationRequestError("bad").name; // "AuthorizationRequestError"
 * ```
 */
export class AuthorizationRequestError extends Error {
  /** Builds the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AuthorizationRequestError";
  }
}

/** A decoded request, with what the response needs. */
export interface DecodedAuthorizationRequest {
  /** The request's claims (`user_nkey`, `server_id`, `connect_opts`, …). */
  request: AuthorizationRequest;
  /** The server's curve key when the request was encrypted. */
  serverXkey?: string;
}

/** Options of {@linkcode decodeAuthorizationRequest}. */
export interface DecodeAuthorizationRequestOptions {
  /**
   * The callout's curve seed (`SX…`): requests must then be encrypted.
   *
   * @default {undefined (plain requests)}
   */
  xkeySeed?: Uint8Array;
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * Decodes a message nats-server sent on `$SYS.REQ.USER.AUTH`: decrypts it
 * when an xkey seed is given (and refuses a plain one then), checks the
 * JWT is signed by a server nkey that names itself in `server_id`, and
 * that it carries a user nkey.
 *
 * @throws {AuthorizationRequestError}
 * @example
 * ```ts ignore
 * import { decodeAuthorizationRequest } from "./authorization.ts";
 * const { request } = decodeAuthorizationRequest(msg.data, msg.headers?.get("Nats-Server-Xkey"));
 * ```
 */
export function decodeAuthorizationRequest(
  data: Uint8Array,
  serverXkey: string | undefined,
  options: DecodeAuthorizationRequestOptions = {},
): DecodedAuthorizationRequest {
  let payload = data;
  if (options.xkeySeed !== undefined) {
    if (!serverXkey) {
      throw new AuthorizationRequestError(
        `Cannot read the authorization request: it is not encrypted (no ${SERVER_XKEY_HEADER} header) but an xkey is configured`,
      );
    }
    let opened: Uint8Array | null = null;
    try {
      opened = xkeyBox(options.xkeySeed).open(data, serverXkey);
    } catch (cause) {
      throw new AuthorizationRequestError(
        "Cannot decrypt the authorization request",
        { cause },
      );
    }
    if (opened === null) {
      throw new AuthorizationRequestError(
        "Cannot decrypt the authorization request: wrong key",
      );
    }
    payload = opened;
  } else if (serverXkey) {
    serverXkey = undefined; // The server only offers its key; we answer in plain.
  }
  let claims;
  try {
    claims = decodeSignedJwt(decoder.decode(payload));
  } catch (cause) {
    throw new AuthorizationRequestError(
      `Cannot decode the authorization request: ${(cause as Error).message}`,
      { cause },
    );
  }
  const request = claims.nats as AuthorizationRequest;
  if (!claims.iss?.startsWith("N") || request?.server_id?.id !== claims.iss) {
    throw new AuthorizationRequestError(
      "Cannot use the authorization request: not signed by the server it names",
    );
  }
  if (
    typeof request.user_nkey !== "string" || !request.user_nkey.startsWith("U")
  ) {
    throw new AuthorizationRequestError(
      "Cannot use the authorization request: no user nkey",
    );
  }
  return { request, serverXkey };
}

/** Options of {@linkcode encodeAuthorizationReply}. */
export interface EncodeAuthorizationReplyOptions {
  /** The issuer account's seed (`SA…`): signs the response. */
  issuerSeed: Uint8Array;
  /**
   * The callout's curve seed: with the request's `serverXkey`, the response
   * is encrypted.
   *
   * @default {undefined}
   */
  xkeySeed?: Uint8Array;
}

/**
 * Encodes the answer to `decoded`: `{ jwt }` admits the user, `{ error }`
 * refuses it (nats-server logs the error). Encrypted for the server when
 * the request was.
 *
 * @example
 * ```ts ignore
 * import { encodeAuthorizationReply } from "./authorization.ts";
 * msg.respond(await encodeAuthorizationReply(decoded, { error: "token_expired" }, { issuerSeed }));
 * ```
 */
export async function encodeAuthorizationReply(
  decoded: DecodedAuthorizationRequest,
  answer: { jwt: string } | { error: string },
  options: EncodeAuthorizationReplyOptions,
): Promise<Uint8Array> {
  const { request, serverXkey } = decoded;
  const text = await encodeAuthorizationResponse(
    fromPublic(request.user_nkey),
    fromPublic(request.server_id.id),
    nativeSigner(options.issuerSeed),
    answer,
    {},
  );
  const bytes = encoder.encode(text);
  if (serverXkey && options.xkeySeed !== undefined) {
    return xkeyBox(options.xkeySeed).seal(bytes, serverXkey);
  }
  return bytes;
}

// Uint8Array.fromBase64 (ES2026, native in Deno 2.9), not yet in TS's lib.
const fromBase64 = (Uint8Array as unknown as {
  fromBase64(text: string, options: { alphabet: "base64url" }): Uint8Array;
}).fromBase64;

function base64UrlDecode(text: string): Uint8Array {
  return fromBase64(text, { alphabet: "base64url" });
}

// A NATS JWT (`ed25519-nkey`) whose signature is its issuer's, checked
// natively (the pure-JS check of @nats-io/jwt's decode() is slow).
function decodeSignedJwt(
  jwt: string,
): { iss: string; nats: AuthorizationRequest } {
  const parts = jwt.split(".");
  if (parts.length !== 3) throw new Error("not a JWT");
  const header = JSON.parse(decoder.decode(base64UrlDecode(parts[0])));
  if (
    header.alg !== "ed25519-nkey" || String(header.typ).toUpperCase() !== "JWT"
  ) {
    throw new Error(`not a NATS JWT (alg ${JSON.stringify(header.alg)})`);
  }
  const claims = JSON.parse(decoder.decode(base64UrlDecode(parts[1])));
  if (typeof claims?.iss !== "string") throw new Error("no issuer");
  const signed = encoder.encode(`${parts[0]}.${parts[1]}`);
  if (!nativeVerify(claims.iss, signed, base64UrlDecode(parts[2]))) {
    throw new Error("bad signature");
  }
  return claims;
}
