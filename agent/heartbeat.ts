import type { NatsConnection } from "@nats-io/nats-core";
import {
  deviceHeartbeatSubject,
  type DeviceLabels,
  encodeJson,
  type Heartbeat as HeartbeatMessage,
  type Runtime,
} from "../contracts/mod.ts";
import {
  DEFAULT_HEARTBEAT_INTERVAL_S,
  isHeartbeatInterval,
  MAX_HEARTBEAT_INTERVAL_S,
  MIN_HEARTBEAT_INTERVAL_S,
} from "./config.ts";
import { Logger } from "./log.ts";
import { pingReply } from "./verbs/ping.ts";

/** Options of {@linkcode Heartbeat}. */
export interface HeartbeatOptions {
  /** The device the heartbeat is for; published on `device-heartbeat.<deviceId>`. */
  deviceId: string;
  /** The runtime reported in each beat. */
  runtime: Runtime;
  /**
   * Seconds between beats, from 0.1 to 86400.
   *
   * @default {10}
   */
  intervalS?: number;
  /**
   * The device's labels, sent as `labels` in each beat (not sent when
   * empty).
   *
   * @default {{}}
   */
  labels?: DeviceLabels;
  /**
   * When the agent started, in `performance.now()` milliseconds, for `uptime_s`.
   *
   * @default {0} (the start of the process)
   */
  startedAt?: number;
  /**
   * Where failures to publish are logged.
   *
   * @default {new Logger()} (stderr)
   */
  logger?: Logger;
}

/**
 * Publishes the agent's {@linkcode HeartbeatMessage} on
 * `device-heartbeat.<id>`: once at {@linkcode Heartbeat.start}, then every
 * `intervalS` seconds until disposed. Each beat carries `interval_s` (so a
 * reader knows when the device is late) and, when there are any, `labels`.
 *
 * @example
 * ```ts ignore
 * import { Heartbeat } from "@harmony/fleet/agent";
 * await using heartbeat = new Heartbeat(nc, { deviceId: "d1", runtime: "disabled" });
 * heartbeat.start();
 * ```
 */
export class Heartbeat implements AsyncDisposable {
  #nc: NatsConnection;
  #subject: string;
  #options: HeartbeatOptions;
  #labels: DeviceLabels | undefined;
  #logger: Logger;
  #timer?: ReturnType<typeof setInterval>;
  #stopped = false;

  /**
   * Builds the publisher; nothing is sent until {@linkcode Heartbeat.start}.
   *
   * @throws {RangeError} when `options.intervalS` is not from 0.1 to 86400.
   */
  constructor(nc: NatsConnection, options: HeartbeatOptions) {
    const intervalS = options.intervalS ?? DEFAULT_HEARTBEAT_INTERVAL_S;
    if (!isHeartbeatInterval(intervalS)) {
      throw new RangeError(
        `Cannot start a heartbeat every ${intervalS} s: the interval must be from ${MIN_HEARTBEAT_INTERVAL_S} to ${MAX_HEARTBEAT_INTERVAL_S} s`,
      );
    }
    this.#nc = nc;
    this.#subject = deviceHeartbeatSubject(options.deviceId);
    this.#options = { ...options, intervalS };
    const labels = options.labels ?? {};
    this.#labels = Object.keys(labels).length > 0 ? { ...labels } : undefined;
    this.#logger = options.logger ?? new Logger();
  }

  /** The subject beats are published on. */
  get subject(): string {
    return this.#subject;
  }

  /** Publishes the first beat now and schedules the next ones. Idempotent. */
  start(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    this.beat();
    this.#timer = setInterval(
      () => this.beat(),
      this.#options.intervalS! * 1000,
    );
  }

  /** Publishes one beat now; a failure is logged, never thrown. */
  beat(): void {
    const message: HeartbeatMessage = {
      ...pingReply(this.#options),
      ts: new Date().toISOString(),
      interval_s: this.#options.intervalS,
    };
    if (this.#labels !== undefined) message.labels = this.#labels;
    try {
      this.#nc.publish(this.#subject, encodeJson(message));
    } catch (error) {
      this.#logger.warn("heartbeat_failed", { subject: this.#subject, error });
    }
  }

  /** Stops the beats. Idempotent. */
  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Same as {@linkcode Heartbeat.stop}. */
  [Symbol.asyncDispose](): Promise<void> {
    this.stop();
    return Promise.resolve();
  }
}
