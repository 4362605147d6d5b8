/**
 * Names, labels and paths shared by every object of a stack's Kubernetes
 * manifests: one place, so the manifests, the podman mapping and whatever
 * looks for leftovers agree.
 *
 * @module
 */
import { assertDeviceId } from "../../contracts/mod.ts";

/** Where the agent reads its TOML config inside its container (the Dockerfile's documented path). */
export const AGENT_CONFIG_PATH = "/etc/harmony-fleet/agent.toml";
/** Where an agent's token file is mounted (`auth: "callout"`), beside its config. */
export const AGENT_TOKEN_PATH = "/etc/harmony-fleet/token";
/** Where nats-server reads its config inside its container. */
export const NATS_CONFIG_PATH = "/etc/nats/nats-server.conf";
/** nats-server's JetStream `store_dir` inside its container (an `emptyDir`). */
export const NATS_STORE_DIR = "/data";
/** The client port of nats-server in the cluster (container and Service). */
export const NATS_CLIENT_PORT = 4222;
/** The monitoring port of nats-server in the cluster (`/healthz`, `/varz`). */
export const NATS_MONITOR_PORT = 8222;
/** The name of the NATS Deployment and Service. */
export const NATS_NAME = "nats";
/** The name of the Secret holding every config of a stack. */
export const CONFIG_SECRET_NAME = "fleet-config";
/** The key of the nats-server config in the config Secret. */
export const NATS_CONFIG_KEY = "nats-server.conf";

/** `app.kubernetes.io/managed-by` of every object a stack creates. */
export const MANAGED_BY = "harmony-fleet-e2e";
/** The label naming the stack (its namespace) on every object. */
export const STACK_LABEL_KEY = "harmony-fleet/stack";
/** The annotation holding an agent's exact device id (a device id need not be a valid label value). */
export const DEVICE_ID_ANNOTATION = "harmony-fleet/device-id";

/**
 * The label selector that finds every object of every e2e stack, leftovers
 * included: `kubectl get ns -l app.kubernetes.io/managed-by=harmony-fleet-e2e`.
 */
export const MANAGED_BY_SELECTOR = `app.kubernetes.io/managed-by=${MANAGED_BY}`;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const STACK_NAMESPACE = /^e2e-[0-9a-f]{8}$/;

/**
 * Whether `name` is a DNS-1123 label (lower-case alphanumerics and `-`,
 * alphanumeric at both ends, at most 63 characters): what Kubernetes
 * requires of namespace, Service and container names, and the safe form
 * for Deployment, Secret and ConfigMap names.
 *
 * @example
 * ```ts
 * import { isDns1123Label } from "./names.ts";
 * isDns1123Label("agent-d1"); // true
 * isDns1123Label("Agent_d1"); // false
 * ```
 */
export function isDns1123Label(name: string): boolean {
  return name.length <= 63 && DNS1123_LABEL.test(name);
}

/**
 * Checks that `namespace` is a stack namespace, `e2e-<8 hex>`.
 *
 * @throws {RangeError} when it is not.
 * @example
 * ```ts
 * import { assertStackNamespace } from "./names.ts";
 * assertStackNamespace("e2e-1a2b3c4d");
 * ```
 */
export function assertStackNamespace(namespace: string): void {
  if (!STACK_NAMESPACE.test(namespace)) {
    throw new RangeError(
      `Invalid stack namespace ${
        JSON.stringify(namespace)
      }: expected "e2e-" and 8 lower-case hex digits`,
    );
  }
}

/**
 * The labels of every object of stack `namespace`, plus `extra`
 * (`app.kubernetes.io/name`, `…/component`, …).
 *
 * @example
 * ```ts
 * import { stackLabels } from "./names.ts";
 * stackLabels("e2e-1a2b3c4d")["harmony-fleet/stack"]; // "e2e-1a2b3c4d"
 * ```
 */
export function stackLabels(
  namespace: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    "app.kubernetes.io/managed-by": MANAGED_BY,
    "app.kubernetes.io/part-of": "harmony-fleet",
    [STACK_LABEL_KEY]: namespace,
    ...extra,
  };
}

/**
 * The name of the Deployment (and its container's config key) of the agent
 * of `deviceId`: `agent-<device id>` when that is a DNS-1123 label;
 * otherwise the id lower-cased, `_` as `-`, cut to fit, with 8 hex digits
 * of a hash of the exact id so distinct ids keep distinct names.
 *
 * @throws {InvalidDeviceIdError} when `deviceId` is not a valid device id.
 * @example
 * ```ts
 * import { agentName } from "./names.ts";
 * agentName("vm-device-00-e2e-1a2b3c4d"); // "agent-vm-device-00-e2e-1a2b3c4d"
 * agentName("Dev_A").startsWith("agent-dev-a-"); // true
 * ```
 */
export function agentName(deviceId: string): string {
  assertDeviceId(deviceId);
  const plain = `agent-${deviceId}`;
  if (isDns1123Label(plain)) return plain;
  const cleaned = deviceId.toLowerCase().replaceAll("_", "-")
    .replace(/^-+/, "").slice(0, 63 - "agent-".length - 9)
    .replace(/-+$/, "");
  return `agent-${cleaned ? `${cleaned}-` : ""}${fnv1a32(deviceId)}`;
}

/** FNV-1a, 32 bits, as 8 hex digits: a short, stable, synchronous hash. */
function fnv1a32(text: string): string {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, "0");
}
