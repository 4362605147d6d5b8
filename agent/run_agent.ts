import type { ConnectionOptions, NatsConnection } from "@nats-io/nats-core";
import { PACKAGE_VERSION, Runtime } from "../contracts/mod.ts";
import { PodmanClient } from "../podman/mod.ts";
import {
  authConnectionOptions,
  connect,
  NatsAuthError,
  NatsTlsError,
  tlsConnectionOptions,
} from "../nats/mod.ts";
import { TLS_KEYS, TLS_NAMES, tlsProblem } from "./_config_tls.ts";
import { CommandServer, CommandServerError } from "./command_server.ts";
import type { CommandHandlers } from "./handler.ts";
import { defaultHandlers } from "./verbs/mod.ts";
import type { AgentConfig } from "./config.ts";
import { AgentExitCode } from "./exit_codes.ts";
import { Heartbeat } from "./heartbeat.ts";
import { Logger } from "./log.ts";
import {
  probePodmanSocket,
  type RuntimeProbeOptions,
  RuntimeUnavailableError,
} from "./runtime_probe.ts";
import { isAuthRefusal } from "../nats/auth_refusal.ts";

/** Options of {@linkcode runAgent}. */
export interface RunAgentOptions {
  /**
   * Aborting it stops the agent gracefully, as SIGTERM does: no new
   * requests, the ones in flight finished, the connection drained.
   *
   * @default never aborted
   */
  signal?: AbortSignal;
  /**
   * Where events go.
   *
   * @default {new Logger()} (JSON lines on stderr)
   */
  logger?: Logger;
  /**
   * How the podman socket is looked for when `runtime_enabled = true`
   * (`[runtime] socket`, when configured, wins over `runtimeProbe.socket`).
   *
   * @default {{}}
   */
  runtimeProbe?: RuntimeProbeOptions;
  /**
   * How long a graceful stop may take before the connection is closed
   * regardless, in milliseconds.
   *
   * @default {10000}
   */
  shutdownTimeoutMs?: number;
  /**
   * Verb handlers replacing the defaults verb by verb, as in
   * `CommandServerOptions.handlers`.
   *
   * @default {{}} (the built-in ones: `defaultHandlers`, with the podman
   * client, `[runtime] container_label` and the `[exec]` policy)
   */
  handlers?: CommandHandlers;
  /**
   * When the agent started, in `performance.now()` milliseconds, for `uptime_s`.
   *
   * @default {0} (the start of the process)
   */
  startedAt?: number;
}

/**
 * Per dial of a reconnect. nats-core waits for the handshake's PONG until
 * its `timeout` runs out even when the server has closed the connection
 * meanwhile (a node that is shutting down sends INFO, then closes): with
 * 5 s, one such dial kept an agent away from a restarted cluster for 5 s.
 * 2 s is nats.go's default.
 */
const RECONNECT_DIAL_TIMEOUT_MS = 2000;
const FIRST_RETRY_MS = 250;
const MAX_RETRY_MS = 5000;

/**
 * Runs an agent until `options.signal` aborts or NATS shuts it out, and
 * returns the process exit code ({@linkcode AgentExitCode}): checks the
 * runtime, connects to NATS (retrying for ever while the servers are
 * unreachable; reconnecting for ever once connected), serves commands,
 * publishes heartbeats and logs a `ready` event once subscribed.
 *
 * @example
 * ```ts ignore
 * import { loadAgentConfig, runAgent } from "@harmony/fleet/agent";
 * const code = await runAgent(await loadAgentConfig("agent.toml"));
 * Deno.exit(code);
 * ```
 */
export async function runAgent(
  config: AgentConfig,
  options: RunAgentOptions = {},
): Promise<AgentExitCode> {
  const { password, token } = config.nats;
  const log = (options.logger ?? new Logger()).child(
    { device_id: config.deviceId },
    // Belt and braces: no line may carry them, whatever a library puts in
    // an error message.
    {
      secrets: [password, token].filter((s) => s !== undefined),
      level: config.logLevel,
    },
  );
  const signal = options.signal ?? new AbortController().signal;
  const startedAt = options.startedAt ?? 0;
  log.info("starting", {
    agent_version: PACKAGE_VERSION,
    pid: Deno.pid,
    runtime_enabled: config.runtimeEnabled,
    servers: config.nats.servers,
    tls: config.nats.tls !== undefined,
  });

  let runtime: Runtime = Runtime.Disabled;
  let socket: string | undefined;
  if (config.runtimeEnabled) {
    try {
      socket = await probePodmanSocket({
        ...options.runtimeProbe,
        socket: config.runtime.socket ?? options.runtimeProbe?.socket,
      });
      runtime = Runtime.Podman;
    } catch (error) {
      if (!(error instanceof RuntimeUnavailableError)) throw error;
      log.error("runtime_unavailable", {
        message: error.message,
        tried: error.attempts.map((a) => a.path),
      });
      return AgentExitCode.Config;
    }
  }
  // Closed when the agent returns, whichever way.
  await using podman = socket === undefined
    ? undefined
    : new PodmanClient(socket);

  let connectionOptions: ConnectionOptions;
  try {
    connectionOptions = await natsOptions(config, log);
  } catch (error) {
    if (error instanceof NatsTlsError) {
      log.error("config_invalid", {
        message: tlsProblem(error),
        key: TLS_KEYS[error.setting],
      });
      return AgentExitCode.Config;
    }
    if (!(error instanceof NatsAuthError)) throw error;
    log.error("config_invalid", {
      message: error.message,
      key: error.setting === undefined
        ? "nats"
        : CREDENTIAL_FILE_KEYS[error.setting],
    });
    return AgentExitCode.Config;
  }

  const nc = await connectWithRetry(connectionOptions, log, signal).catch(
    (error) => error as Error,
  );
  if (nc instanceof Error) {
    log.error("nats_auth_failed", {
      message: `Cannot connect to NATS at ${
        config.nats.servers.join(", ")
      } as device "${config.deviceId}": authentication failed (${nc.message}); check the credentials in the [nats] table`,
      error: nc,
    });
    return AgentExitCode.Authentication;
  }
  if (nc === undefined) {
    log.info("stopped", { reason: "signal before connecting" });
    return AgentExitCode.Ok;
  }
  reconnectDialTimeout(nc, RECONNECT_DIAL_TIMEOUT_MS);
  log.info("nats_connected", { server: nc.getServer() });
  const statusLogging = logStatus(nc, log);

  const identity = { deviceId: config.deviceId, runtime, startedAt };
  const server = new CommandServer(nc, {
    ...identity,
    handlers: {
      ...defaultHandlers(identity, {
        podman,
        containerLabel: config.runtime.containerLabel,
        exec: config.exec,
      }),
      ...options.handlers,
    },
    logger: log,
  });
  const heartbeat = new Heartbeat(nc, {
    deviceId: config.deviceId,
    runtime,
    intervalS: config.heartbeatIntervalS,
    labels: config.labels,
    startedAt,
    logger: log,
  });
  try {
    await server.start();
  } catch (error) {
    if (!(error instanceof CommandServerError)) throw error;
    log.error("subscribe_failed", {
      message: error.message,
      error: error.cause,
    });
    await nc.close();
    await statusLogging;
    return AgentExitCode.Nats;
  }
  heartbeat.start();
  log.info("ready", {
    subject: server.subject,
    heartbeat_subject: heartbeat.subject,
    runtime,
    podman_socket: socket,
    container_label: config.runtime.containerLabel,
    exec_enabled: config.exec.enabled,
    exec_allow_host: config.exec.allowHost,
  });

  const stop = abortPromise(signal);
  const closed = nc.closed();
  const first = await Promise.race([
    stop.promise.then(() => "signal" as const),
    closed.then((error) => error ?? new Error("connection closed")),
  ]);
  stop.dispose();
  if (first !== "signal") {
    heartbeat.stop();
    await server.drain().catch(() => {});
    await statusLogging;
    const auth = isAuthRefusal(first);
    log.error("nats_closed", {
      message: `NATS closed the connection for good: ${first.message}`,
      error: first,
    });
    return auth ? AgentExitCode.Authentication : AgentExitCode.Nats;
  }

  log.info("shutting_down", {
    reason: String(signal.reason ?? "aborted"),
    in_flight: server.inFlight,
  });
  heartbeat.stop();
  const timeoutMs = options.shutdownTimeoutMs ?? 10_000;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const finished = await Promise.race([
    (async () => {
      await server.drain();
      await nc.drain();
      return true;
    })(),
    new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (!finished) {
    log.warn("shutdown_timeout", {
      message:
        `Requests still in flight or NATS unreachable after ${timeoutMs} ms; closing the connection`,
      in_flight: server.inFlight,
    });
    await nc.close();
  }
  await statusLogging;
  log.info("stopped", { exit_code: AgentExitCode.Ok });
  return AgentExitCode.Ok;
}

const CREDENTIAL_FILE_KEYS = {
  credsFile: "nats.creds_file",
  tokenFile: "nats.token_file",
} as const;

async function natsOptions(
  config: AgentConfig,
  log: Logger,
): Promise<ConnectionOptions> {
  const { tokenFile } = config.nats;
  return {
    servers: config.nats.servers,
    name: `fleet-agent ${config.deviceId}`,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 1000,
    // Per dial of the first connect: longer than nats-server's 2 s TLS
    // handshake timeout, so a plain client at a TLS-first server hears the
    // server close (and says so) rather than timing out. Reconnects get
    // RECONNECT_DIAL_TIMEOUT_MS.
    timeout: 5000,
    // A token file may hold a token that expired and is about to be
    // replaced: keep reconnecting (reading the file each time) rather than
    // give up after two refusals in a row.
    ...(tokenFile === undefined ? {} : { ignoreAuthErrorAbort: true }),
    ...await authConnectionOptions(config.nats, {
      onTokenFileError: (error) =>
        log.warn("token_file_unreadable", {
          message: `${error.message}; sending the last token read`,
          key: "nats.token_file",
          path: error.path,
        }),
    }),
    ...await tlsConnectionOptions(config.nats.tls ?? {}, { names: TLS_NAMES }),
  };
}

/**
 * Connects, retrying with backoff while no server is reachable. Resolves
 * `undefined` when `signal` aborts first; rejects with the NATS error when
 * authentication fails (that is not going to fix itself).
 */
async function connectWithRetry(
  options: ConnectionOptions,
  log: Logger,
  signal: AbortSignal,
): Promise<NatsConnection | undefined> {
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
      log.warn("nats_connect_failed", {
        servers: options.servers,
        attempt,
        retry_in_ms: delay,
        error,
      });
    }
    const wait = abortPromise(signal, delay);
    await wait.promise;
    wait.dispose();
    delay = Math.min(delay * 2, MAX_RETRY_MS);
  }
  return undefined;
}

async function logStatus(nc: NatsConnection, log: Logger): Promise<void> {
  for await (const status of nc.status()) {
    switch (status.type) {
      case "disconnect":
        log.warn("nats_disconnected", { server: status.server });
        break;
      case "reconnecting":
        log.debug("nats_reconnecting");
        break;
      case "reconnect":
        log.info("nats_reconnected", { server: status.server });
        break;
      case "error":
        log.warn("nats_error", { error: status.error });
        break;
      case "ldm":
        log.warn("nats_lame_duck", { server: status.server });
        break;
      case "staleConnection":
        log.warn("nats_stale_connection");
        break;
      case "slowConsumer":
        log.warn("nats_slow_consumer", { pending: status.pending });
        break;
      case "close":
        log.info("nats_connection_closed");
        break;
      default:
        log.debug("nats_status", { status: status.type });
    }
  }
}

/** Resolves when `signal` aborts, or after `ms` when given; dispose to release. */
function abortPromise(
  signal: AbortSignal,
  ms?: number,
): { promise: Promise<void>; dispose: () => void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort = () => {};
  const promise = new Promise<void>((resolve) => {
    if (signal.aborted) return resolve();
    onAbort = () => resolve();
    signal.addEventListener("abort", onAbort, { once: true });
    if (ms !== undefined) timer = setTimeout(resolve, ms);
  });
  return {
    promise,
    dispose: () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
    },
  };
}

/**
 * Sets the per-dial timeout of `nc`'s reconnects: nats-core reads
 * `options.timeout` at each dial, from the connection's own options
 * object (as `nats/_first_connect.ts` sets its reconnect limit).
 */
function reconnectDialTimeout(nc: NatsConnection, ms: number): void {
  const options = (nc as unknown as { options?: ConnectionOptions }).options;
  if (options !== undefined) options.timeout = ms;
}
