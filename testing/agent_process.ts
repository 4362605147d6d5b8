/**
 * One agent process (`deno run -A agent/main.ts --config <file>`), owned as
 * an `AsyncDisposable`.
 *
 * @module
 */
import { stringify as stringifyToml } from "smol-toml";
import { assertDeviceId } from "../contracts/mod.ts";
import type { NatsTlsFiles } from "../nats/mod.ts";
import type { Credentials } from "./nats_server_config.ts";
import {
  readTail,
  signalChild,
  spawnLogged,
  stopChild,
} from "./child_process.ts";

/** The `[runtime]` table of an agent config: where podman is, which containers it sees. */
export interface AgentRuntimeOptions {
  /**
   * `socket`: the podman API socket (an absolute path or `unix://…`).
   *
   * @default {undefined (the agent probes CONTAINER_HOST, then the standard paths)}
   */
  socket?: string;
  /**
   * `container_label`: only containers with this label (`key=value` or
   * `key`) are visible to `logs` and `exec`.
   *
   * @default {undefined (every container is visible)}
   */
  containerLabel?: string;
}

/** The `[exec]` table of an agent config: its exec policy. */
export interface AgentExecOptions {
  /**
   * `enabled`: whether `exec` in a container is allowed.
   *
   * @default {undefined (the agent's default: true)}
   */
  enabled?: boolean;
  /**
   * `allow_host`: whether `exec` with `host: true` is allowed.
   *
   * @default {undefined (the agent's default: false)}
   */
  allowHost?: boolean;
}

/** Options of {@linkcode AgentProcess.start}. */
export interface AgentProcessOptions {
  /** The device the agent answers for. */
  deviceId: string;
  /** NATS server URL(s) for the `[nats]` table. */
  servers: string | readonly string[];
  /** The device's NATS user and password. */
  credentials: Credentials;
  /**
   * TLS: the `tls_ca_file`, `tls_cert_file`, `tls_key_file` and
   * `tls_handshake_first` keys of the `[nats]` table (give absolute paths).
   *
   * @default {undefined (no tls_* key)}
   */
  tls?: NatsTlsFiles;
  /** Directory for its config (`agent-<id>.toml`) and log (`agent-<id>.log`). */
  dir: string;
  /**
   * `[agent] runtime_enabled`.
   *
   * @default {false}
   */
  runtimeEnabled?: boolean;
  /**
   * The `[runtime]` table (`socket`, `container_label`); only the keys
   * given are written.
   *
   * @default {undefined (no [runtime] table)}
   */
  runtime?: AgentRuntimeOptions;
  /**
   * The `[exec]` table (`enabled`, `allow_host`); only the keys given are
   * written.
   *
   * @default {undefined (no [exec] table)}
   */
  exec?: AgentExecOptions;
  /**
   * `[agent] heartbeat_interval_s`.
   *
   * @default {10}
   */
  heartbeatIntervalS?: number;
  /**
   * `[agent] labels`: the device's labels, sent in its heartbeats.
   *
   * @default {undefined (no labels key)}
   */
  labels?: Readonly<Record<string, string>>;
  /**
   * Environment variables set for the agent on top of this process's, e.g.
   * `CONTAINER_HOST` for its runtime probe.
   *
   * @default {{}}
   */
  env?: Record<string, string>;
  /**
   * How long dispose waits after SIGTERM before sending SIGKILL.
   *
   * @default {5_000}
   */
  stopTimeoutMs?: number;
  /**
   * Start it in a session of its own (`setsid`), so a terminal's Ctrl-C,
   * sent to the whole foreground process group, does not reach it; for
   * processes meant to outlive this one (kept stacks).
   *
   * @default {false}
   */
  newSession?: boolean;
  /**
   * The agent entry module.
   *
   * @default {this package's `agent/main.ts`}
   */
  entry?: string | URL;
}

/**
 * Thrown when an agent process cannot be started.
 *
 * @example
 * ```ts ignore
 * import { AgentStartError, AgentProcess } from "@harmony/fleet/e2e";
 * try {
 *   await AgentProcess.start(options);
 * } catch (error) {
 *   if (error instanceof AgentStartError) console.error(error.deviceId);
 * }
 * ```
 */
export class AgentStartError extends Error {
  /** The device whose agent failed to start. */
  readonly deviceId: string;

  /** Builds the error for `deviceId`. */
  constructor(deviceId: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AgentStartError";
    this.deviceId = deviceId;
  }
}

/** The entry module as an argument for `deno run`. */
function entryArg(entry: string | URL): string {
  const url = entry instanceof URL ? entry : new URL(entry, import.meta.url);
  return url.protocol === "file:" ? decodeURIComponent(url.pathname) : url.href;
}

/** `deno.json` beside the entry's package, when running from a checkout. */
async function denoConfigFor(entry: string | URL): Promise<string | undefined> {
  const url = new URL(
    "../deno.json",
    entry instanceof URL ? entry : new URL(entry, import.meta.url),
  );
  if (url.protocol !== "file:") return undefined;
  const path = decodeURIComponent(url.pathname);
  return (await Deno.stat(path).catch(() => undefined))?.isFile
    ? path
    : undefined;
}

/**
 * A running agent. `start` writes its TOML config and spawns it with its
 * stderr going to `<dir>/agent-<id>.log`; it does not wait for the agent
 * to connect (the {@linkcode Stack} pings it for that). `kill()` simulates a
 * crash; dispose stops it gracefully (SIGTERM, then SIGKILL after a
 * deadline) and is idempotent.
 *
 * @example
 * ```ts ignore
 * import { AgentProcess } from "@harmony/fleet/e2e";
 * await using agent = await AgentProcess.start({
 *   deviceId: "vm-device-00",
 *   servers: "nats://127.0.0.1:4222",
 *   credentials: { user: "device-vm-device-00", password: "pw" },
 *   dir: "/tmp/stack",
 * });
 * await agent.kill();
 * ```
 */
export class AgentProcess implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #stopTimeoutMs: number;
  #exit: Deno.CommandStatus | undefined;
  #disposed: Promise<void> | undefined;

  /** The device it answers for. */
  readonly deviceId: string;
  /** Its config file. */
  readonly configPath: string;
  /** The file its stdout and stderr go to. */
  readonly logPath: string;
  /** Resolves with its exit status once it has exited. */
  readonly exited: Promise<Deno.CommandStatus>;

  private constructor(
    child: Deno.ChildProcess,
    fields: { deviceId: string; configPath: string; logPath: string },
    stopTimeoutMs: number,
  ) {
    this.#child = child;
    this.#stopTimeoutMs = stopTimeoutMs;
    this.deviceId = fields.deviceId;
    this.configPath = fields.configPath;
    this.logPath = fields.logPath;
    this.exited = child.status.then((status) => this.#exit = status);
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Its exit status, or `undefined` while it runs. */
  get exitStatus(): Deno.CommandStatus | undefined {
    return this.#exit;
  }

  /**
   * Lets this Deno process exit while the agent keeps running (used to keep
   * a stack for debugging); dispose still stops it.
   */
  unref(): void {
    this.#child.unref();
  }

  /** Writes the config and spawns the agent; see the class docs. */
  static async start(options: AgentProcessOptions): Promise<AgentProcess> {
    assertDeviceId(options.deviceId);
    const { deviceId, dir } = options;
    const configPath = `${dir}/agent-${deviceId}.toml`;
    const logPath = `${dir}/agent-${deviceId}.log`;
    await Deno.writeTextFile(configPath, renderAgentConfig(options));
    const entry = options.entry ?? new URL("../agent/main.ts", import.meta.url);
    const denoConfig = await denoConfigFor(entry);
    const args = [
      "run",
      "-A",
      ...(denoConfig ? ["--config", denoConfig] : []),
      entryArg(entry),
      "--config",
      configPath,
    ];
    let child: Deno.ChildProcess;
    try {
      child = spawnLogged(Deno.execPath(), args, {
        logPath,
        cwd: dir,
        env: options.env,
        newSession: options.newSession,
      });
    } catch (cause) {
      throw new AgentStartError(
        deviceId,
        `Cannot start the agent of device "${deviceId}": ${
          cause instanceof Error ? cause.message : String(cause)
        }`,
        { cause },
      );
    }
    return new AgentProcess(
      child,
      { deviceId, configPath, logPath },
      options.stopTimeoutMs ?? 5_000,
    );
  }

  /** The last lines of its log. */
  logTail(lines = 20): Promise<string> {
    return readTail(this.logPath, lines);
  }

  /**
   * Sends `signal` and waits for the agent to exit (SIGKILL after the stop
   * deadline).
   */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<Deno.CommandStatus> {
    const status = await stopChild(this.#child, this.#stopTimeoutMs, signal);
    await this.exited;
    return status;
  }

  /** Kills the agent at once (SIGKILL), as a crash would, and waits for it. */
  async kill(): Promise<Deno.CommandStatus> {
    signalChild(this.#child, "SIGKILL");
    return await this.exited;
  }

  /** Stops the agent (SIGTERM, then SIGKILL after a deadline); idempotent. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#disposed ??= this.stop().then(() => {});
    return this.#disposed;
  }
}

/**
 * The TOML config of an agent (the format of `agent/config.ts`).
 *
 * @example
 * ```ts
 * import { renderAgentConfig } from "@harmony/fleet/e2e";
 * renderAgentConfig({
 *   deviceId: "d1",
 *   servers: "nats://127.0.0.1:4222",
 *   credentials: { user: "device-d1", password: "pw" },
 *   runtimeEnabled: true,
 *   runtime: { socket: "/run/podman/podman.sock", containerLabel: "harmony.fleet/device=d1" },
 *   exec: { allowHost: true },
 * });
 * ```
 */
export function renderAgentConfig(
  options: Pick<
    AgentProcessOptions,
    | "deviceId"
    | "servers"
    | "credentials"
    | "runtimeEnabled"
    | "heartbeatIntervalS"
    | "labels"
    | "tls"
    | "runtime"
    | "exec"
  >,
): string {
  const tls = options.tls ?? {};
  const runtime = definedOnly({
    socket: options.runtime?.socket,
    container_label: options.runtime?.containerLabel,
  });
  const exec = definedOnly({
    enabled: options.exec?.enabled,
    allow_host: options.exec?.allowHost,
  });
  return stringifyToml({
    agent: {
      device_id: options.deviceId,
      runtime_enabled: options.runtimeEnabled ?? false,
      heartbeat_interval_s: options.heartbeatIntervalS ?? 10,
      ...(options.labels === undefined
        ? {}
        : { labels: { ...options.labels } }),
    },
    nats: {
      servers: typeof options.servers === "string"
        ? [options.servers]
        : [...options.servers],
      user: options.credentials.user,
      password: options.credentials.password,
      ...(tls.caFile === undefined ? {} : { tls_ca_file: tls.caFile }),
      ...(tls.certFile === undefined ? {} : { tls_cert_file: tls.certFile }),
      ...(tls.keyFile === undefined ? {} : { tls_key_file: tls.keyFile }),
      ...(tls.handshakeFirst === undefined
        ? {}
        : { tls_handshake_first: tls.handshakeFirst }),
    },
    ...(options.runtime === undefined ? {} : { runtime }),
    ...(options.exec === undefined ? {} : { exec }),
  }) + "\n";
}

/** `fields` without its `undefined` values (TOML has no null). */
function definedOnly(
  fields: Record<string, string | boolean | undefined>,
): Record<string, string | boolean> {
  return Object.fromEntries(
    Object.entries(fields).filter(([, value]) => value !== undefined),
  ) as Record<string, string | boolean>;
}
