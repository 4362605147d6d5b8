/**
 * A steady ping load on a set of devices, and what it saw around a NATS
 * failover: failed pings, whether each device's failures were one outage
 * or kept coming back, and how long until every device answered again.
 * Used by the failover tests and by `bench/`. Private to `e2e/`.
 */
import type { FleetCommandsClient } from "../operator/mod.ts";
import { timer } from "../testing/child_process.ts";

/** One ping of a {@linkcode PingLoad}. */
export interface PingOutcome {
  deviceId: string;
  /** When it was sent, `performance.now()` ms. */
  sentAt: number;
  /** When it settled, `performance.now()` ms. */
  doneAt: number;
  ok: boolean;
  /** The error's class name when it failed (`DeviceOfflineError`, …). */
  error?: string;
}

/** Options of {@linkcode PingLoad.start}. */
export interface PingLoadOptions {
  /**
   * Each device gets a ping every this many ms, whether or not the earlier
   * ones have settled (an open loop: a lost ping does not hold up the
   * next).
   *
   * @default {50}
   */
  intervalMs?: number;
  /**
   * Each ping's timeout.
   *
   * @default {1_000}
   */
  timeoutMs?: number;
}

/**
 * Pings every device every `intervalMs` (open loop), recording every
 * outcome, until stopped.
 */
export class PingLoad implements AsyncDisposable {
  readonly #outcomes: PingOutcome[] = [];
  readonly #loops: Promise<void>[];
  readonly #pauses = new Set<() => void>();
  #stopped = false;

  private constructor(
    client: FleetCommandsClient,
    deviceIds: readonly string[],
    options: Required<PingLoadOptions>,
  ) {
    this.#loops = deviceIds.map((id) => this.#loop(client, id, options));
  }

  /** Starts pinging `deviceIds` through `client`. */
  static start(
    client: FleetCommandsClient,
    deviceIds: readonly string[],
    options: PingLoadOptions = {},
  ): PingLoad {
    return new PingLoad(client, deviceIds, {
      intervalMs: options.intervalMs ?? 50,
      timeoutMs: options.timeoutMs ?? 1_000,
    });
  }

  /** Every outcome so far, in the order they settled. */
  get outcomes(): readonly PingOutcome[] {
    return this.#outcomes;
  }

  /** Whether every one of `deviceIds` answered a ping sent at or after `since`. */
  allAnsweredSince(deviceIds: readonly string[], since: number): boolean {
    const answered = new Set(
      this.#outcomes.filter((o) => o.ok && o.sentAt >= since).map((o) =>
        o.deviceId
      ),
    );
    return deviceIds.every((id) => answered.has(id));
  }

  /** Stops sending and waits for the pings in flight; returns every outcome. */
  async stop(): Promise<readonly PingOutcome[]> {
    this.#stopped = true;
    for (const cancel of this.#pauses) cancel();
    await Promise.all(this.#loops);
    return this.#outcomes;
  }

  /** Same as {@linkcode PingLoad.stop}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  async #loop(
    client: FleetCommandsClient,
    deviceId: string,
    options: Required<PingLoadOptions>,
  ): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    while (!this.#stopped) {
      const sentAt = performance.now();
      const ping = this.#ping(client, deviceId, sentAt, options.timeoutMs);
      inFlight.add(ping);
      ping.finally(() => inFlight.delete(ping));
      const left = sentAt + options.intervalMs - performance.now();
      if (left > 0 && !this.#stopped) {
        const pause = timer(left, undefined);
        this.#pauses.add(pause.cancel);
        await pause.promise;
        pause.cancel();
        this.#pauses.delete(pause.cancel);
      }
    }
    await Promise.all(inFlight);
  }

  async #ping(
    client: FleetCommandsClient,
    deviceId: string,
    sentAt: number,
    timeoutMs: number,
  ): Promise<void> {
    try {
      await client.ping(deviceId, { timeoutMs });
      this.#outcomes.push({
        deviceId,
        sentAt,
        doneAt: performance.now(),
        ok: true,
      });
    } catch (error) {
      this.#outcomes.push({
        deviceId,
        sentAt,
        doneAt: performance.now(),
        ok: false,
        error: error instanceof Error ? error.name : String(error),
      });
    }
  }
}

/** What a ping load saw around a failover at `since`. */
export interface FailoverFigures {
  /** Pings sent. */
  pings: number;
  /** Pings that failed, whatever the error. */
  failed: number;
  /** Failed pings by error class name. */
  errors: Record<string, number>;
  /** Failed pings by device (devices without failures left out). */
  failedByDevice: Record<string, number>;
  /**
   * Devices whose pings failed again after they had answered once since
   * their first failure: an outage that came back, not one that ended.
   */
  flapping: string[];
  /**
   * From `since` until every device that failed had answered a ping sent
   * after its last failed one was sent, in ms; 0 when nothing failed.
   */
  recoveryMs: number;
}

/** Sums up `outcomes` around a failover that started at `since`. */
export function failoverFigures(
  outcomes: readonly PingOutcome[],
  since: number,
): FailoverFigures {
  const errors: Record<string, number> = {};
  const failedByDevice: Record<string, number> = {};
  const flapping: string[] = [];
  let recoveredAt = since;
  const byDevice = Map.groupBy(outcomes, (o) => o.deviceId);
  for (const [deviceId, pings] of byDevice) {
    const sorted = [...pings].sort((a, b) => a.sentAt - b.sentAt);
    const failures = sorted.filter((o) => !o.ok);
    if (failures.length === 0) continue;
    failedByDevice[deviceId] = failures.length;
    for (const failure of failures) {
      errors[failure.error ?? "Error"] = (errors[failure.error ?? "Error"] ??
        0) + 1;
    }
    const first = sorted.indexOf(failures[0]);
    const last = sorted.lastIndexOf(failures[failures.length - 1]);
    if (sorted.slice(first, last).some((o) => o.ok)) flapping.push(deviceId);
    const lastFailure = failures[failures.length - 1];
    const back = sorted.find((o) => o.ok && o.sentAt > lastFailure.sentAt);
    recoveredAt = Math.max(recoveredAt, back?.doneAt ?? Infinity);
  }
  return {
    pings: outcomes.length,
    failed: outcomes.filter((o) => !o.ok).length,
    errors,
    failedByDevice,
    flapping,
    recoveryMs: recoveredAt - since,
  };
}
