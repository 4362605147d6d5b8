import type { NatsConnection } from "../nats/mod.ts";
import {
  DiscardPolicy,
  JetStreamApiError,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamInfo,
} from "@nats-io/jetstream";
import {
  DEVICE_REGISTRY_STREAM,
  DEVICE_REGISTRY_SUBJECTS,
} from "../contracts/mod.ts";
import { registryError } from "./_registry_failure.ts";
import { RegistryError, RegistryFailure } from "./registry_errors.ts";
import { checkTimeoutMs } from "./timeout.ts";

/** Options of {@linkcode deviceRegistryConfig} and {@linkcode ensureDeviceRegistry}. */
export interface DeviceRegistryOptions {
  /**
   * How many servers of a JetStream cluster keep a copy: 1, 3 or 5 (more
   * than 1 needs clustered JetStream with at least that many servers).
   *
   * @default {1}
   */
  replicas?: number;
  /**
   * The stream's name.
   *
   * @default {"FLEET_DEVICES"}
   */
  stream?: string;
}

/** Options of {@linkcode ensureDeviceRegistry}. */
export interface EnsureDeviceRegistryOptions extends DeviceRegistryOptions {
  /**
   * How long each JetStream API request may take, in milliseconds.
   *
   * @default {5000}
   */
  timeoutMs?: number;
}

/** What {@linkcode ensureDeviceRegistry} did. */
export interface DeviceRegistryResult {
  /** The stream's name. */
  stream: string;
  /** `"created"`, `"updated"` (it existed with other settings) or `"unchanged"`. */
  action: "created" | "updated" | "unchanged";
  /** Its replicas now. */
  replicas: number;
  /** How many devices it holds a heartbeat of now. */
  devices: number;
}

/** The JetStream stream config of the registry (a subset of nats' `StreamConfig`). */
export interface DeviceRegistryStreamConfig {
  /** The stream's name. */
  name: string;
  /** What it is, for `nats stream info`. */
  description: string;
  /** `["device-heartbeat.>"]`. */
  subjects: string[];
  /** `"limits"`: messages stay until a limit removes them. */
  retention: "limits";
  /** 1: the last heartbeat of each device. */
  max_msgs_per_subject: number;
  /** `"old"`: a new heartbeat replaces the device's previous one. */
  discard: "old";
  /** `"file"`: survives a server restart. */
  storage: "file";
  /** Copies in a JetStream cluster. */
  num_replicas: number;
  /** Direct get allowed (reading a device's last heartbeat by subject). */
  allow_direct: boolean;
}

const REPLICAS = [1, 3, 5];

/**
 * The JetStream stream config of the device registry: subjects
 * `device-heartbeat.>`, one message per subject kept (the last heartbeat
 * of each device; older ones are discarded), file storage, `replicas`
 * copies, direct get allowed.
 *
 * @throws {RangeError} for `replicas` other than 1, 3 or 5.
 * @example
 * ```ts
 * import { deviceRegistryConfig } from "@harmony/fleet/operator";
 * deviceRegistryConfig({ replicas: 3 }).max_msgs_per_subject; // 1
 * ```
 */
export function deviceRegistryConfig(
  options: DeviceRegistryOptions = {},
): DeviceRegistryStreamConfig {
  const replicas = options.replicas ?? 1;
  if (!REPLICAS.includes(replicas)) {
    throw new RangeError(
      `Cannot configure the device registry with ${replicas} replicas: expected 1, 3 or 5`,
    );
  }
  return {
    name: options.stream ?? DEVICE_REGISTRY_STREAM,
    description:
      "@harmony/fleet device registry: the last heartbeat of every device",
    subjects: [...DEVICE_REGISTRY_SUBJECTS],
    retention: RetentionPolicy.Limits,
    max_msgs_per_subject: 1,
    discard: DiscardPolicy.Old,
    storage: StorageType.File,
    num_replicas: replicas,
    allow_direct: true,
  };
}

/**
 * Creates the device registry stream, or brings an existing one to
 * {@linkcode deviceRegistryConfig} (subjects, one message per subject,
 * replicas); does nothing when it already is. Idempotent: what
 * `fleet registry init` and the e2e `Stack` run. Needs a user allowed the
 * JetStream API of that stream (`$JS.API.STREAM.INFO|CREATE|UPDATE.<stream>`):
 * an administrator, not an operator.
 *
 * @throws {RegistryError} `jetstream_disabled` when the server has no
 *   JetStream, `mismatch` when the stream exists with another storage
 *   type, `timeout`, or `failed` (e.g. more replicas than servers).
 * @throws {RangeError} for bad `replicas` or `timeoutMs`.
 * @example
 * ```ts ignore
 * import { ensureDeviceRegistry } from "@harmony/fleet/operator";
 * const { action } = await ensureDeviceRegistry(nc, { replicas: 3 });
 * ```
 */
export async function ensureDeviceRegistry(
  nc: NatsConnection,
  options: EnsureDeviceRegistryOptions = {},
): Promise<DeviceRegistryResult> {
  const wanted = deviceRegistryConfig(options);
  const stream = wanted.name;
  const timeout = checkTimeoutMs(options.timeoutMs ?? 5000);
  const jsm = await jetstreamManager(nc, { checkAPI: false, timeout });
  let existing: StreamInfo | undefined;
  try {
    existing = await jsm.streams.info(stream);
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === 10059)) {
      throw registryError(error, stream, "create");
    }
  }
  try {
    if (existing === undefined) {
      const info = await jsm.streams.add(wanted);
      return result(info, "created");
    }
    const { config } = existing;
    if (config.storage !== wanted.storage) {
      throw new RegistryError(
        `Cannot create registry stream ${
          JSON.stringify(stream)
        }: it exists with ${config.storage} storage, not ${wanted.storage}; delete it first (nats stream rm ${stream})`,
        { stream, reason: RegistryFailure.Mismatch },
      );
    }
    if (
      sameSubjects(config.subjects, wanted.subjects!) &&
      config.max_msgs_per_subject === 1 &&
      config.num_replicas === wanted.num_replicas &&
      config.allow_direct === true
    ) {
      return result(existing, "unchanged");
    }
    const info = await jsm.streams.update(stream, {
      ...config,
      subjects: wanted.subjects,
      max_msgs_per_subject: 1,
      num_replicas: wanted.num_replicas,
      allow_direct: true,
    });
    return result(info, "updated");
  } catch (error) {
    throw registryError(error, stream, "create");
  }
}

function result(
  info: StreamInfo,
  action: DeviceRegistryResult["action"],
): DeviceRegistryResult {
  return {
    stream: info.config.name,
    action,
    replicas: info.config.num_replicas,
    devices: info.state.num_subjects ?? info.state.messages,
  };
}

function sameSubjects(
  a: readonly string[] | undefined,
  b: readonly string[],
): boolean {
  return a !== undefined && a.length === b.length &&
    a.every((subject, i) => subject === b[i]);
}
