/**
 * The auth-callout service: answers nats-server's authorization requests
 * on `$SYS.REQ.USER.AUTH` (in a queue group, so several can run), turning
 * a verified OIDC token into a user JWT with exactly its role's
 * permissions, or refusing it with a reason the server logs.
 *
 * @module
 */
import type { Msg, NatsConnection, Subscription } from "../nats/mod.ts";
import {
  AuthorizationRequestError,
  decodeAuthorizationRequest,
  type DecodedAuthorizationRequest,
  encodeAuthorizationReply,
  SERVER_XKEY_HEADER,
} from "./authorization.ts";
import type { CalloutLog } from "./log.ts";
import {
  type OidcVerifier,
  RefusalReason,
  TokenRefusedError,
} from "./oidc_verifier.ts";
import { permissionsForRole, type Role, roleForSubject } from "./role.ts";
import { issueUserJwt } from "./user_jwt.ts";

/** The subject nats-server sends authorization requests to. */
export const AUTH_CALLOUT_SUBJECT = "$SYS.REQ.USER.AUTH";

/** Options of {@linkcode CalloutService}. */
export interface CalloutServiceOptions {
  /** Verifies the OIDC token the client sent. */
  verifier: OidcVerifier;
  /** The issuer account's seed (`SA…`): signs user JWTs and responses. */
  issuerSeed: Uint8Array;
  /**
   * The callout's curve seed (`SX…`): requests must be encrypted.
   *
   * @default {undefined}
   */
  xkeySeed?: Uint8Array;
  /** The account users are placed in (the user JWT's `aud`). */
  account: string;
  /** Token subjects that get the operator permissions. */
  operatorSubjects: readonly string[];
  /**
   * The operators' inbox prefix.
   *
   * @default {"_INBOX"}
   */
  operatorInboxPrefix?: string;
  /**
   * The queue group.
   *
   * @default {"fleet-callout"}
   */
  queueGroup?: string;
  /**
   * How many requests are worked on at once; the others wait in arrival
   * order. A burst then answers the first logins first, instead of
   * interleaving them all so that every answer comes late (nats-server
   * gives each request `authorization { timeout }`, 2 s by default).
   *
   * @default {8}
   */
  maxConcurrent?: number;
  /** Where decisions are logged (one event each). */
  log: CalloutLog;
}

/**
 * Serves authorization requests on an injected connection (made as an
 * `auth_users` user). Each decision is logged as `auth_allowed` or
 * `auth_refused` with the subject, role and reason — never the token.
 *
 * @example
 * ```ts ignore
 * import { CalloutService } from "./service.ts";
 * await using service = new CalloutService(nc, options);
 * await service.start();
 * ```
 */
export class CalloutService implements AsyncDisposable {
  readonly #nc: NatsConnection;
  readonly #options: CalloutServiceOptions;
  #sub?: Subscription;
  #inFlight = new Set<Promise<void>>();
  #queue: Msg[] = [];
  #allowed = 0;
  #refused = 0;
  #stopped?: Promise<void>;

  /** Builds the service; {@linkcode CalloutService.start} subscribes. */
  constructor(nc: NatsConnection, options: CalloutServiceOptions) {
    this.#nc = nc;
    this.#options = options;
  }

  /** How many logins were admitted. */
  get allowed(): number {
    return this.#allowed;
  }

  /** How many logins were refused. */
  get refused(): number {
    return this.#refused;
  }

  /** Subscribes and waits until the server has the subscription. */
  async start(): Promise<void> {
    this.#sub = this.#nc.subscribe(AUTH_CALLOUT_SUBJECT, {
      queue: this.#options.queueGroup ?? "fleet-callout",
      callback: (error, msg) => {
        if (error) {
          this.#options.log("error", "subscription_error", { error });
          return;
        }
        this.#queue.push(msg);
        this.#pump();
      },
    });
    await this.#nc.flush();
  }

  #pump(): void {
    const max = this.#options.maxConcurrent ?? 8;
    while (this.#inFlight.size < max && this.#queue.length > 0) {
      const msg = this.#queue.shift()!;
      const done: Promise<void> = this.#handle(msg).finally(() => {
        this.#inFlight.delete(done);
        this.#pump();
      });
      this.#inFlight.add(done);
    }
  }

  /** Stops taking requests and answers those received; idempotent. */
  stop(): Promise<void> {
    this.#stopped ??= (async () => {
      if (this.#sub && !this.#nc.isClosed()) {
        await this.#sub.drain().catch(() => {});
      }
      while (this.#inFlight.size > 0) {
        await Promise.allSettled([...this.#inFlight]);
      }
    })();
    return this.#stopped;
  }

  /** Same as {@linkcode CalloutService.stop}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  async #handle(msg: Msg): Promise<void> {
    const o = this.#options;
    const started = performance.now();
    let decoded: DecodedAuthorizationRequest;
    try {
      decoded = decodeAuthorizationRequest(
        msg.data,
        msg.headers?.get(SERVER_XKEY_HEADER) || undefined,
        { xkeySeed: o.xkeySeed },
      );
    } catch (error) {
      // No user nkey to answer for: the server times the login out.
      this.#refused++;
      o.log("warn", "auth_request_invalid", {
        reason: RefusalReason.BadRequest,
        error: error instanceof AuthorizationRequestError
          ? error.message
          : String(error),
      });
      return;
    }
    const { request } = decoded;
    const client = {
      client_host: request.client_info?.host,
      client_id: request.client_info?.id,
      client_name: request.connect_opts?.name,
    };
    let subject: string | undefined;
    let role: Role | undefined;
    try {
      const token = await o.verifier.verify(request.connect_opts?.auth_token);
      subject = token.subject;
      if (token.expiresAtS <= Math.floor(Date.now() / 1000)) {
        // Within the clock leeway, but the user JWT may not outlive the
        // token: it would be born expired, and nats-server refuses that.
        throw new TokenRefusedError(
          RefusalReason.TokenExpired,
          "the token has expired (within the clock leeway; a NATS user cannot outlive its token)",
        );
      }
      role = roleForSubject(subject, {
        operatorSubjects: o.operatorSubjects,
      });
      const jwt = await issueUserJwt(o.issuerSeed, {
        userNkey: request.user_nkey,
        name: subject,
        permissions: permissionsForRole(role, {
          operatorInboxPrefix: o.operatorInboxPrefix,
        }),
        account: o.account,
        expiresAtS: token.expiresAtS,
      });
      msg.respond(
        await encodeAuthorizationReply(decoded, { jwt }, o),
      );
      this.#allowed++;
      o.log("info", "auth_allowed", {
        subject,
        role: role.kind,
        device_id: role.kind === "device" ? role.deviceId : undefined,
        account: o.account,
        expires_at: new Date(token.expiresAtS * 1000).toISOString(),
        ...client,
        ms: Math.round(performance.now() - started),
      });
    } catch (error) {
      const refusal = error instanceof TokenRefusedError
        ? error
        : new TokenRefusedError(
          RefusalReason.BadRequest,
          error instanceof Error ? error.message : String(error),
          { cause: error },
        );
      this.#refused++;
      try {
        msg.respond(
          await encodeAuthorizationReply(decoded, {
            error: refusal.message,
          }, o),
        );
      } catch (respondError) {
        o.log("error", "auth_respond_failed", { error: respondError });
      }
      o.log("warn", "auth_refused", {
        reason: refusal.reason,
        detail: refusal.message,
        subject: subject ?? refusal.subject,
        role: role?.kind,
        ...client,
        ms: Math.round(performance.now() - started),
      });
    }
  }
}
