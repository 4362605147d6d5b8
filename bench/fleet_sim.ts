// A simulated fleet in one process: N devices, each with the real agent's
// `CommandServer` (one plain subscription on `device-commands.<id>.>`, the
// real verb handlers) and its real `Heartbeat`, all on ONE NATS connection
// (the caller's). Permissions are therefore not what is tested here: a
// device's NATS user is not its own; what is tested is the fan-out, the
// agent code per device, and how many devices fit.
//
// Lives in bench/ because it imports agent/ (testing/ may not); the fan-out
// tests that use it sit beside it.
import type { NatsConnection } from "@nats-io/nats-core";
import { CommandServer, Heartbeat, Logger, pingReply } from "../agent/mod.ts";
import type { CommandHandler } from "../agent/mod.ts";
import {
  assertDeviceId,
  type DeviceLabels,
  type Runtime,
} from "../contracts/mod.ts";

/** Options of {@linkcode FleetSim.start}. */
export interface FleetSimOptions {
  /** How many devices, 0 or more. */
  devices: number;
  /**
   * Device ids are `<prefix>-<index>`, the index zero-padded to 5 digits.
   *
   * @default {"sim"}
   */
  prefix?: string;
  /**
   * The fraction of devices that are offline (never started: NATS answers
   * "no responders" for them), from 0 to 1; rounded to a whole number of
   * devices, spread evenly over the fleet.
   *
   * @default {0}
   */
  offline?: number;
  /**
   * The fraction of the other devices that are slow: their `ping` handler
   * answers only after `slowMs` (the agent answers `deadline_exceeded`
   * when the request's deadline comes first).
   *
   * @default {0}
   */
  slow?: number;
  /**
   * How long a slow device takes to answer a ping, in milliseconds.
   *
   * @default {60000}
   */
  slowMs?: number;
  /**
   * Whether an offline device publishes one heartbeat when the fleet
   * starts (a device that was seen and has gone away: the device registry
   * knows it, so `--all` targets it) rather than nothing at all.
   *
   * @default {true}
   */
  offlineKnown?: boolean;
  /**
   * The labels of device `index` (sent in its heartbeats).
   *
   * @default {no labels}
   */
  labels?: (index: number) => DeviceLabels;
  /**
   * Seconds between two heartbeats of each device; each device beats once
   * when started, then every interval.
   *
   * @default {10}
   */
  heartbeatIntervalS?: number;
  /**
   * How many devices are started at once (each start waits for the
   * server to confirm its subscription).
   *
   * @default {500}
   */
  startBatch?: number;
  /**
   * Where the devices' log events go.
   *
   * @default {a logger that writes errors only, to stderr}
   */
  logger?: Logger;
}

const RUNTIME: Runtime = "disabled";

/**
 * Which indices of `0 … n-1` are picked when `count` of them are spread
 * evenly: `floor(k * n / count)` for `k < count`.
 *
 * @example
 * ```ts
 * import { spreadIndices } from "./fleet_sim.ts";
 * [...spreadIndices(10, 2)]; // [0, 5]
 * ```
 */
export function spreadIndices(n: number, count: number): Set<number> {
  const picked = new Set<number>();
  for (let k = 0; k < count; k++) picked.add(Math.floor(k * n / count));
  return picked;
}

/**
 * The id of simulated device `index`: `<prefix>-<index, 5 digits>`.
 *
 * @example
 * ```ts
 * import { simDeviceId } from "./fleet_sim.ts";
 * simDeviceId("sim", 42); // "sim-00042"
 * ```
 */
export function simDeviceId(prefix: string, index: number): string {
  return `${prefix}-${String(index).padStart(5, "0")}`;
}

/**
 * A simulated fleet on one connection. Hold it with `await using`:
 * disposing drains every device's command server and stops the
 * heartbeats (the connection stays the caller's).
 *
 * @example
 * ```ts ignore
 * await using sim = await FleetSim.start(nc, { devices: 1000, offline: 0.01 });
 * sim.offlineIds.length; // 10
 * ```
 */
export class FleetSim implements AsyncDisposable {
  /** Every device of the fleet, online or not, in index order. */
  readonly deviceIds: readonly string[];
  /** The devices never started, in index order. */
  readonly offlineIds: readonly string[];
  /** The devices started with a slow `ping`, in index order. */
  readonly slowIds: readonly string[];
  #servers: CommandServer[] = [];
  #heartbeats: Heartbeat[] = [];
  #stopSlow = new AbortController();
  #disposed?: Promise<void>;

  private constructor(
    deviceIds: string[],
    offlineIds: string[],
    slowIds: string[],
  ) {
    this.deviceIds = deviceIds;
    this.offlineIds = offlineIds;
    this.slowIds = slowIds;
  }

  /** How many devices are running (started and not offline). */
  get running(): number {
    return this.#servers.length;
  }

  /**
   * Starts the fleet on `nc` and resolves once every online device's
   * subscription is confirmed.
   *
   * @throws {RangeError} for a device count, fraction or interval out of range.
   * @throws {CommandServerError} when a subscription is refused (the
   *   fleet started so far is stopped first).
   */
  static async start(
    nc: NatsConnection,
    options: FleetSimOptions,
  ): Promise<FleetSim> {
    const n = options.devices;
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(
        `Invalid simulated fleet size ${n}: expected a whole number, 0 or more`,
      );
    }
    const offline = checkFraction("offline", options.offline ?? 0);
    const slow = checkFraction("slow", options.slow ?? 0);
    const prefix = options.prefix ?? "sim";
    const ids = Array.from({ length: n }, (_, i) => simDeviceId(prefix, i));
    if (n > 0) assertDeviceId(ids[n - 1]);
    const offlineAt = spreadIndices(n, Math.round(n * offline));
    const onlineIndices = ids.map((_, i) => i).filter((i) => !offlineAt.has(i));
    const slowPick = spreadIndices(
      onlineIndices.length,
      Math.round(onlineIndices.length * slow),
    );
    const slowAt = new Set([...slowPick].map((k) => onlineIndices[k]));
    const sim = new FleetSim(
      ids,
      ids.filter((_, i) => offlineAt.has(i)),
      ids.filter((_, i) => slowAt.has(i)),
    );
    const logger = options.logger ??
      new Logger({ level: "error" });
    const batch = options.startBatch ?? 500;
    try {
      if (options.offlineKnown ?? true) {
        for (const i of offlineAt) {
          // One beat, as from a device seen before it went away.
          new Heartbeat(nc, {
            deviceId: ids[i],
            runtime: RUNTIME,
            labels: options.labels?.(i),
            logger,
          }).beat();
        }
      }
      for (let from = 0; from < onlineIndices.length; from += batch) {
        await Promise.all(
          onlineIndices.slice(from, from + batch).map((i) =>
            sim.#startDevice(nc, ids[i], {
              labels: options.labels?.(i),
              slowMs: slowAt.has(i) ? options.slowMs ?? 60_000 : undefined,
              heartbeatIntervalS: options.heartbeatIntervalS,
              logger,
            })
          ),
        );
      }
    } catch (error) {
      await sim[Symbol.asyncDispose]();
      throw error;
    }
    return sim;
  }

  async #startDevice(
    nc: NatsConnection,
    deviceId: string,
    options: {
      labels?: DeviceLabels;
      slowMs?: number;
      heartbeatIntervalS?: number;
      logger: Logger;
    },
  ): Promise<void> {
    const identity = { deviceId, runtime: RUNTIME };
    const server = new CommandServer(nc, {
      ...identity,
      logger: options.logger,
      handlers: options.slowMs === undefined
        ? undefined
        : { ping: this.#slowPing(deviceId, options.slowMs) },
    });
    this.#servers.push(server);
    await server.start();
    const heartbeat = new Heartbeat(nc, {
      ...identity,
      labels: options.labels,
      intervalS: options.heartbeatIntervalS,
      logger: options.logger,
    });
    this.#heartbeats.push(heartbeat);
    heartbeat.start();
  }

  /**
   * A `ping` handler that answers after `ms`, or at once when the fleet
   * stops. It ignores its request's signal, as a hung device would: the
   * command server answers `deadline_exceeded` when the deadline passes
   * and drops the late reply. (Settling on that signal would race the
   * server's own deadline: the signal aborts just before the server's
   * deadline promise resolves.)
   */
  #slowPing(deviceId: string, ms: number): CommandHandler {
    const stopAll = this.#stopSlow.signal;
    return () =>
      new Promise((resolve) => {
        const answer = () => {
          clearTimeout(timer);
          stopAll.removeEventListener("abort", answer);
          resolve(pingReply({ deviceId, runtime: RUNTIME }));
        };
        const timer = setTimeout(answer, ms);
        if (stopAll.aborted) answer();
        else stopAll.addEventListener("abort", answer, { once: true });
      });
  }

  /** Stops every device: heartbeats first, then the command servers drain. Idempotent. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#disposed ??= this.#dispose();
    return this.#disposed;
  }

  async #dispose(): Promise<void> {
    for (const heartbeat of this.#heartbeats) heartbeat.stop();
    this.#stopSlow.abort(new Error("the simulated fleet stopped"));
    await Promise.all(this.#servers.map((server) => server.drain()));
  }
}

function checkFraction(name: string, value: number): number {
  if (!(value >= 0 && value <= 1)) {
    throw new RangeError(
      `Invalid ${name} fraction ${value}: expected a number from 0 to 1`,
    );
  }
  return value;
}
