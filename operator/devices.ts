import { createInbox, type Msg } from "@nats-io/nats-core";
import type { NatsConnection } from "../nats/mod.ts";
import {
  AckPolicy,
  type ConsumerInfo,
  DeliverPolicy,
  type JetStreamManager,
  jetstreamManager,
  ReplayPolicy,
} from "@nats-io/jetstream";
import {
  decodeHeartbeatMessage,
  DEVICE_REGISTRY_STREAM,
  DEVICE_REGISTRY_SUBJECTS,
  type DeviceLabels,
  type Runtime,
} from "../contracts/mod.ts";
import { registryError } from "./_registry_failure.ts";
import { RegistryError, RegistryFailure } from "./registry_errors.ts";
import { checkTimeoutMs } from "./timeout.ts";

/** Whether a device's heartbeats are arriving. */
export const DeviceStatus = {
  /** Its last heartbeat is at most 3 of its intervals old. */
  Online: "online",
  /** No heartbeat for more than 3 of its intervals. */
  Stale: "stale",
} as const;
/** One of {@linkcode DeviceStatus}. */
export type DeviceStatus = typeof DeviceStatus[keyof typeof DeviceStatus];

/**
 * The heartbeat interval assumed for a device whose heartbeat does not say
 * (`interval_s` absent: an older agent), in seconds: the agent's default.
 */
export const ASSUMED_HEARTBEAT_INTERVAL_S = 10;
/** A device is stale after this many of its heartbeat intervals without one. */
export const STALE_AFTER_INTERVALS = 3;

/** One device the registry knows of: what its last heartbeat said. */
export interface DeviceRecord {
  /** The device id. */
  id: string;
  /** `"online"`, or `"stale"` when no heartbeat came for 3 of its intervals. */
  status: DeviceStatus;
  /** When the server stored its last heartbeat (the server's clock). */
  lastSeen: Date;
  /** Its agent's version, as of its last heartbeat. */
  agentVersion: string;
  /** Its agent's container runtime. */
  runtime: Runtime;
  /** Whole seconds its agent had been up at its last heartbeat. */
  uptimeS: number;
  /** Its labels (`[agent] labels`); `{}` when it has none. */
  labels: DeviceLabels;
  /**
   * Seconds between its heartbeats, as it says; 10
   * ({@linkcode ASSUMED_HEARTBEAT_INTERVAL_S}) when its heartbeat does not.
   */
  heartbeatIntervalS: number;
}

/** Options of {@linkcode listDevices} and `FleetCommandsClient.devices()`. */
export interface DevicesOptions {
  /**
   * How long the whole listing may take, in milliseconds (more than 0,
   * at most 24 h).
   *
   * @default {5000} (`devices()`: the client's `timeoutMs`)
   */
  timeoutMs?: number;
  /**
   * The time status is judged at. By default the server's clock when the
   * listing started (so the operator's clock does not matter).
   *
   * @default {the server's time}
   */
  now?: Date;
  /**
   * The registry stream's name.
   *
   * @default {"FLEET_DEVICES"}
   */
  stream?: string;
  /**
   * Called for a stored heartbeat that is not valid (malformed, or a body
   * naming another device than its subject); such a device is left out.
   *
   * @default {undefined} (left out silently)
   */
  onInvalid?: (subject: string, error: Error) => void;
  /**
   * Aborts the listing: it then rejects with `signal.reason`.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/** What {@linkcode listDeviceRegistry} resolves with. */
export interface DeviceListing {
  /** Every device, sorted by id. */
  devices: DeviceRecord[];
  /** The time statuses were judged at (`options.now`, else the server's clock). */
  at: Date;
}

const DEFAULT_TIMEOUT_MS = 5000;
// The listing's consumer removes itself this long after it is left
// behind (when deleting it failed).
const CONSUMER_INACTIVE_NS = 30_000_000_000;

/**
 * Lists every device of the registry stream with what its last heartbeat
 * said, sorted by id. One ephemeral consumer (last message per subject,
 * no acks, in memory) delivers the last heartbeat of each device to this
 * connection's inbox; the listing ends when the server says none is left,
 * then the consumer is deleted. 10,000 devices are one consumer and 10,000
 * messages, not 10,000 requests.
 *
 * The connection needs the permissions of `operatorPermissions()`: the
 * stream's info, creating and deleting consumers on it, its own inbox.
 *
 * @throws {RegistryError} `not_found` when the stream does not exist,
 *   `jetstream_disabled` when the server has no JetStream, `forbidden`
 *   when the user may not read it (a device user), `timeout` when the
 *   listing did not finish in time, `failed` otherwise.
 * @throws {RangeError} for a bad `timeoutMs`.
 * @example
 * ```ts ignore
 * import { listDevices } from "@harmony/fleet/operator";
 * for (const device of await listDevices(nc)) {
 *   console.log(device.id, device.status, device.labels);
 * }
 * ```
 */
export async function listDevices(
  nc: NatsConnection,
  options: DevicesOptions = {},
): Promise<DeviceRecord[]> {
  return (await listDeviceRegistry(nc, options)).devices;
}

/**
 * {@linkcode listDevices}, plus the time the statuses were judged at (the
 * server's clock unless `options.now` is given), so that "last seen 5 s
 * ago" can be said without trusting the local clock.
 *
 * @throws {RegistryError} as {@linkcode listDevices}.
 * @throws {RangeError} for a bad `timeoutMs`.
 * @example
 * ```ts ignore
 * import { listDeviceRegistry } from "@harmony/fleet/operator";
 * const { devices, at } = await listDeviceRegistry(nc);
 * for (const d of devices) console.log(d.id, at.getTime() - d.lastSeen.getTime());
 * ```
 */
export async function listDeviceRegistry(
  nc: NatsConnection,
  options: DevicesOptions = {},
): Promise<DeviceListing> {
  const stream = options.stream ?? DEVICE_REGISTRY_STREAM;
  const timeoutMs = checkTimeoutMs(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const signal = options.signal;
  signal?.throwIfAborted();

  const jsm = await jetstreamManager(nc, {
    checkAPI: false,
    timeout: timeoutMs,
  });
  const inbox = createInbox(inboxPrefix(nc));
  const received: Msg[] = [];
  const last = Promise.withResolvers<void>();
  // Rejected before anyone awaits it when the API request fails first.
  last.promise.catch(() => {});
  const sub = nc.subscribe(inbox, {
    callback: (error, msg) => {
      if (error) return last.reject(error);
      received.push(msg);
      if (pendingAfter(msg) === 0) last.resolve();
    },
  });
  const deadline = AbortSignal.timeout(timeoutMs);
  const stop = signal ? AbortSignal.any([signal, deadline]) : deadline;
  const onStop = () => last.reject(stop.reason);
  stop.addEventListener("abort", onStop, { once: true });
  const name = `fleet_devices_${crypto.randomUUID().replaceAll("-", "")}`;
  let created = false;
  try {
    let info: ConsumerInfo;
    try {
      info = await jsm.consumers.add(stream, {
        name,
        deliver_subject: inbox,
        deliver_policy: DeliverPolicy.LastPerSubject,
        filter_subject: DEVICE_REGISTRY_SUBJECTS[0],
        ack_policy: AckPolicy.None,
        replay_policy: ReplayPolicy.Instant,
        mem_storage: true,
        num_replicas: 1,
        inactive_threshold: CONSUMER_INACTIVE_NS,
      });
      created = true;
    } catch (error) {
      throw registryError(error, stream, "list");
    }
    if (info.num_pending === 0 && info.delivered.consumer_seq === 0) {
      last.resolve();
    }
    try {
      await last.promise;
    } catch (error) {
      if (signal?.aborted && error === signal.reason) throw error;
      if (deadline.aborted) {
        throw new RegistryError(
          `Cannot list the devices of registry stream ${
            JSON.stringify(stream)
          }: not done after ${timeoutMs} ms (${received.length} received)`,
          { stream, reason: RegistryFailure.Timeout, cause: error },
        );
      }
      throw registryError(error, stream, "list");
    }
    const at = options.now ?? serverNow(info);
    return { devices: records(received, at, options.onInvalid), at };
  } finally {
    stop.removeEventListener("abort", onStop);
    sub.unsubscribe();
    if (created) await deleteQuietly(jsm, stream, name);
  }
}

/**
 * The {@linkcode DeviceRecord} of one stored heartbeat message, or an
 * error when its subject or body is not a valid heartbeat.
 */
function records(
  messages: readonly Msg[],
  now: Date,
  onInvalid: DevicesOptions["onInvalid"],
): DeviceRecord[] {
  const byId = new Map<string, DeviceRecord>();
  for (const msg of messages) {
    try {
      const record = deviceRecord(msg, now);
      byId.set(record.id, record);
    } catch (error) {
      onInvalid?.(msg.subject, error as Error);
    }
  }
  return [...byId.values()].sort((a, b) =>
    a.id < b.id ? -1 : a.id > b.id ? 1 : 0
  );
}

function deviceRecord(msg: Msg, now: Date): DeviceRecord {
  const beat = decodeHeartbeatMessage(msg.subject, msg.data);
  const intervalS = beat.interval_s ?? ASSUMED_HEARTBEAT_INTERVAL_S;
  const lastSeen = storedAt(msg) ?? new Date(Date.parse(beat.ts));
  const ageMs = now.getTime() - lastSeen.getTime();
  return {
    id: beat.device_id,
    status: ageMs > STALE_AFTER_INTERVALS * intervalS * 1000
      ? DeviceStatus.Stale
      : DeviceStatus.Online,
    lastSeen,
    agentVersion: beat.agent_version,
    runtime: beat.runtime,
    uptimeS: beat.uptime_s,
    labels: beat.labels ?? {},
    heartbeatIntervalS: intervalS,
  };
}

// A push consumer's message carries its metadata in its reply subject
// (ADR-15): `$JS.ACK.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>`,
// or, newer, `$JS.ACK.<domain>.<account>.<stream>.<consumer>.<delivered>.<sseq>.<cseq>.<ts>.<pending>[.<token>]`.
function ackTokens(msg: Msg): { tsNs: string; pending: number } | undefined {
  const tokens = msg.reply?.split(".");
  if (tokens === undefined || tokens[0] !== "$JS" || tokens[1] !== "ACK") {
    return undefined;
  }
  const tsIndex = tokens.length === 9 ? 7 : tokens.length >= 11 ? 9 : -1;
  if (tsIndex === -1) return undefined;
  const pending = Number(tokens[tsIndex + 1]);
  if (!Number.isSafeInteger(pending)) return undefined;
  return { tsNs: tokens[tsIndex], pending };
}

function pendingAfter(msg: Msg): number | undefined {
  return ackTokens(msg)?.pending;
}

function storedAt(msg: Msg): Date | undefined {
  const tsNs = ackTokens(msg)?.tsNs;
  if (tsNs === undefined || !/^\d+$/.test(tsNs)) return undefined;
  return new Date(Number(BigInt(tsNs) / 1_000_000n));
}

function serverNow(info: ConsumerInfo): Date {
  const at = Date.parse(info.ts ?? info.created);
  return Number.isNaN(at) ? new Date() : new Date(at);
}

async function deleteQuietly(
  jsm: JetStreamManager,
  stream: string,
  name: string,
): Promise<void> {
  try {
    await jsm.consumers.delete(stream, name);
  } catch {
    // Left behind, it removes itself (inactive_threshold).
  }
}

function inboxPrefix(nc: NatsConnection): string | undefined {
  const prefix = (nc as { options?: { inboxPrefix?: unknown } }).options
    ?.inboxPrefix;
  return typeof prefix === "string" && prefix !== "" ? prefix : undefined;
}
