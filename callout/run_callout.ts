/**
 * Runs the callout for a loaded config until a signal: connects as the
 * `auth_users` user (retrying while no server answers), serves requests,
 * and on abort drains and exits.
 *
 * @module
 */
import {
  authConnectionOptions,
  connect,
  type NatsConnection,
  redactServerUrl,
  tlsConnectionOptions,
} from "../nats/mod.ts";
import type { CalloutConfig } from "./config.ts";
import { CalloutExitCode } from "./exit_codes.ts";
import type { CalloutLog } from "./log.ts";
import { OidcVerifier } from "./oidc_verifier.ts";
import { AUTH_CALLOUT_SUBJECT, CalloutService } from "./service.ts";
import { isAuthRefusal } from "../nats/auth_refusal.ts";

/** Options of {@linkcode runCallout}. */
export interface RunCalloutOptions {
  /** Aborting it stops the service gracefully. */
  signal: AbortSignal;
  /** Where events go. */
  log: CalloutLog;
}

const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 5_000;

/**
 * Runs the service; resolves with the exit code.
 *
 * @example
 * ```ts ignore
 * import { runCallout } from "./run_callout.ts";
 * const code = await runCallout(config, { signal, log: jsonLineLog() });
 * ```
 */
export async function runCallout(
  config: CalloutConfig,
  options: RunCalloutOptions,
): Promise<number> {
  const { signal, log } = options;
  const servers = config.nats.servers.map((url) => redactServerUrl(url));
  const verifier = new OidcVerifier(config.oidc);
  // Fetch the keys now so the first login is fast; a failure is retried on use.
  await verifier.jwks.warmUp().then(
    () => log("info", "jwks_loaded", { jwks_uri: verifier.jwks.jwksUri }),
    (error) => log("warn", "jwks_unavailable", { error }),
  );
  let nc: NatsConnection | undefined;
  try {
    nc = await connectWithRetry(config, servers, options);
  } catch (error) {
    log("error", "nats_auth_failed", { servers, error });
    return CalloutExitCode.Authentication;
  }
  if (!nc) return CalloutExitCode.Ok;
  const service = new CalloutService(nc, {
    verifier,
    issuerSeed: config.issuerSeed,
    xkeySeed: config.xkeySeed,
    account: config.account,
    operatorSubjects: config.operatorSubjects,
    operatorInboxPrefix: config.operatorInboxPrefix,
    queueGroup: config.queueGroup,
    log,
  });
  const statusLogging = (async () => {
    for await (const status of nc.status()) {
      if (status.type === "disconnect") log("warn", "nats_disconnected", {});
      else if (status.type === "reconnect") log("info", "nats_reconnected", {});
      else if (status.type === "error") {
        log("warn", "nats_error", { error: status.error });
      }
    }
  })();
  await service.start();
  log("info", "callout_ready", {
    subject: AUTH_CALLOUT_SUBJECT,
    queue_group: config.queueGroup,
    account: config.account,
    servers,
    xkey: config.xkeySeed !== undefined,
  });
  const stopped = new Promise<"signal">((resolve) => {
    if (signal.aborted) resolve("signal");
    signal.addEventListener("abort", () => resolve("signal"), { once: true });
  });
  const first = await Promise.race([stopped, nc.closed()]);
  if (first !== "signal") {
    await service.stop();
    await statusLogging;
    log("error", "nats_closed", { error: first });
    return CalloutExitCode.Internal;
  }
  await service.stop();
  await nc.drain().catch(() => {});
  await statusLogging;
  log("info", "stopped", {
    allowed: service.allowed,
    refused: service.refused,
  });
  return CalloutExitCode.Ok;
}

async function connectWithRetry(
  config: CalloutConfig,
  servers: string[],
  { signal, log }: RunCalloutOptions,
): Promise<NatsConnection | undefined> {
  const options = {
    servers: config.nats.servers,
    name: "fleet-callout",
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    timeout: 5000,
    ...await authConnectionOptions(config.nats),
    ...await tlsConnectionOptions(config.nats.tls ?? {}),
  };
  let delay = FIRST_RETRY_MS;
  for (let attempt = 1; !signal.aborted; attempt++) {
    try {
      const nc = await connect(options);
      if (signal.aborted) {
        await nc.close();
        return undefined;
      }
      return nc;
    } catch (error) {
      if (isAuthRefusal(error)) throw error;
      log("warn", "nats_connect_failed", {
        servers,
        attempt,
        retry_in_ms: delay,
        error,
      });
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, delay);
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
      signal.addEventListener("abort", done, { once: true });
    });
    delay = Math.min(delay * 2, MAX_RETRY_MS);
  }
  return undefined;
}
