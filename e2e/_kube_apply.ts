/**
 * What the `k3d` backend asks of the Kubernetes API, through
 * {@linkcode KubeClient}: server-side apply of a stack's objects in order,
 * readiness of its Deployments with a deadline naming what is not ready,
 * the agent's log tail, scaling an agent to zero, deleting the namespace
 * without waiting, and the record of images imported into a cluster.
 * Private to `e2e/`.
 */
import { ApiException, PatchStrategy } from "@kubernetes/client-node";
import type { StackObject } from "./k8s/manifests.ts";
import { timer } from "../testing/child_process.ts";
import type { KubeClient } from "./_kube_client.ts";

/** The field manager of every object a stack applies. */
export const FIELD_MANAGER = "harmony-fleet-e2e";

/** Thrown when the API server refuses a request; never carries a body sent. */
export class KubeRequestError extends Error {
  /** The HTTP status, or `undefined` when the server was not reached. */
  readonly status: number | undefined;

  /** Builds the error for `action`, from client-node's error. */
  constructor(action: string, cause: unknown) {
    const status = cause instanceof ApiException ? cause.code : undefined;
    super(
      `Cannot ${action}: ${
        status === undefined
          ? (cause instanceof Error ? cause.message : String(cause))
          : `HTTP ${status}${statusMessage(cause as ApiException<unknown>)}`
      }`,
      { cause },
    );
    this.name = "KubeRequestError";
    this.status = status;
  }
}

/** The `message` of a Kubernetes Status in an error's body, as `: <message>`. */
function statusMessage(error: ApiException<unknown>): string {
  const body = error.body;
  try {
    const status = typeof body === "string" ? JSON.parse(body) : body;
    return typeof status?.message === "string" ? `: ${status.message}` : "";
  } catch {
    return "";
  }
}

async function request<T>(action: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (cause) {
    throw new KubeRequestError(action, cause);
  }
}

/** `Kind "name"` of an object. */
function describe(object: StackObject): string {
  return `${object.kind} "${object.metadata?.name}"`;
}

/**
 * Applies `objects` in order (server-side apply, field manager
 * `harmony-fleet-e2e`, forced): the Namespace first when it leads the list.
 * Each is sent as its JSON, unchanged.
 *
 * @throws {KubeRequestError} naming the object refused (never its data).
 */
export async function applyObjects(
  client: KubeClient,
  objects: readonly StackObject[],
): Promise<void> {
  for (const object of objects) {
    const plain = JSON.parse(JSON.stringify(object));
    await request(
      `apply ${describe(object)}${
        object.metadata?.namespace ? ` in "${object.metadata.namespace}"` : ""
      }`,
      () =>
        client.objects.patch(
          plain,
          undefined,
          undefined,
          FIELD_MANAGER,
          true,
          PatchStrategy.ServerSideApply,
        ),
    );
  }
}

/** Thrown when a stack's Deployments are not available by the deadline. */
export class KubeNotReadyError extends Error {
  /** The namespace. */
  readonly namespace: string;
  /** One line per Deployment not available, with its pods' state. */
  readonly notReady: readonly string[];

  /** Builds the error. */
  constructor(namespace: string, timeoutMs: number, notReady: string[]) {
    super(
      `The Deployments of namespace "${namespace}" were not available within ${timeoutMs} ms: ${
        notReady.join("; ")
      }`,
    );
    this.name = "KubeNotReadyError";
    this.namespace = namespace;
    this.notReady = notReady;
  }
}

/** Options of {@linkcode waitForDeployments}. */
export interface WaitForDeploymentsOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Between two checks. @default {250} */
  intervalMs?: number;
  /** Give up when this aborts. @default {never} */
  signal?: AbortSignal;
}

/**
 * Waits until every Deployment named in `names` of `namespace` has all its
 * replicas available (`status.availableReplicas >= spec.replicas`, for its
 * current generation).
 *
 * @throws {KubeNotReadyError} at the deadline, naming each Deployment not
 *   available and its pods' conditions and waiting reasons (e.g.
 *   `ErrImageNeverPull`, `CrashLoopBackOff`).
 */
export async function waitForDeployments(
  client: KubeClient,
  namespace: string,
  names: readonly string[],
  options: WaitForDeploymentsOptions,
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  while (true) {
    options.signal?.throwIfAborted();
    const list = await request(
      `list the Deployments of "${namespace}"`,
      () => client.apps.listNamespacedDeployment({ namespace }),
    );
    const byName = new Map(list.items.map((d) => [d.metadata?.name, d]));
    const waiting = names.filter((name) => {
      const d = byName.get(name);
      if (!d) return true;
      const wanted = d.spec?.replicas ?? 1;
      const current = (d.status?.observedGeneration ?? 0) >=
        (d.metadata?.generation ?? 0);
      return !current || (d.status?.availableReplicas ?? 0) < wanted;
    });
    if (waiting.length === 0) return;
    if (Date.now() >= deadline) {
      const lines = [];
      for (const name of waiting) {
        const d = byName.get(name);
        if (!d) {
          lines.push(`Deployment "${name}": missing`);
          continue;
        }
        lines.push(
          `Deployment "${name}": ${d.status?.availableReplicas ?? 0}/${
            d.spec?.replicas ?? 1
          } available${await podStates(
            client,
            namespace,
            d.spec?.selector?.matchLabels ?? {},
          )}`,
        );
      }
      throw new KubeNotReadyError(namespace, options.timeoutMs, lines);
    }
    const pause = timer(
      Math.min(options.intervalMs ?? 250, Math.max(0, deadline - Date.now())),
      undefined,
    );
    const cancel = () => pause.cancel();
    options.signal?.addEventListener("abort", cancel, { once: true });
    await pause.promise;
    pause.cancel();
    options.signal?.removeEventListener("abort", cancel);
  }
}

/** `k=v,…` of a label map. */
export function labelSelector(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(",");
}

/** `; pod <name>: <conditions not True>, container <c>: <waiting reason>` … */
async function podStates(
  client: KubeClient,
  namespace: string,
  labels: Record<string, string>,
): Promise<string> {
  const pods = await client.core.listNamespacedPod({
    namespace,
    labelSelector: labelSelector(labels),
  }).catch(() => undefined);
  if (!pods) return "";
  if (pods.items.length === 0) return "; no pods";
  return pods.items.map((pod) => {
    const parts = [pod.status?.phase ?? "unknown phase"];
    for (const c of pod.status?.conditions ?? []) {
      if (c.status !== "True") {
        parts.push(`${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ""}`);
      }
    }
    for (const s of pod.status?.containerStatuses ?? []) {
      const waiting = s.state?.waiting;
      const terminated = s.state?.terminated ?? s.lastState?.terminated;
      if (waiting) {
        parts.push(
          `container ${s.name} waiting: ${waiting.reason ?? "?"}${
            waiting.message ? ` (${waiting.message})` : ""
          }`,
        );
      } else if (terminated) {
        parts.push(
          `container ${s.name} exited ${terminated.exitCode} (${
            terminated.reason ?? "?"
          })`,
        );
      }
      if (s.restartCount > 0) parts.push(`${s.restartCount} restarts`);
    }
    return `; pod "${pod.metadata?.name}": ${parts.join(", ")}`;
  }).join("");
}

/**
 * The last `lines` lines of the logs of the pods of Deployment `name`
 * (by its selector), each pod's headed by its name; a note when none.
 */
export async function deploymentLogTail(
  client: KubeClient,
  namespace: string,
  labels: Record<string, string>,
  lines = 20,
): Promise<string> {
  const pods = await request(
    `list the pods of "${namespace}"`,
    () =>
      client.core.listNamespacedPod({
        namespace,
        labelSelector: labelSelector(labels),
      }),
  );
  if (pods.items.length === 0) return "(no pod)";
  const texts = [];
  for (const pod of pods.items) {
    const name = pod.metadata!.name!;
    const log = await client.core.readNamespacedPodLog({
      name,
      namespace,
      tailLines: lines,
    }).catch((error) => `(no log: ${error.message ?? error})`);
    texts.push(`pod ${name}:\n${String(log).trimEnd()}`);
  }
  return texts.join("\n");
}

/**
 * Takes Deployment `name` down at once and keeps it down: replicas 0, then
 * its pods deleted with grace period 0 (a SIGKILL); resolves once they are
 * gone.
 */
export async function scaleToZero(
  client: KubeClient,
  namespace: string,
  name: string,
  labels: Record<string, string>,
  options: { timeoutMs: number },
): Promise<void> {
  await request(
    `scale Deployment "${name}" of "${namespace}" to 0`,
    () =>
      client.objects.patch(
        {
          apiVersion: "apps/v1",
          kind: "Deployment",
          metadata: { name, namespace },
          spec: { replicas: 0 },
        },
        undefined,
        undefined,
        `${FIELD_MANAGER}-kill`,
        true,
        PatchStrategy.ServerSideApply,
      ),
  );
  const selector = labelSelector(labels);
  await request(
    `delete the pods of Deployment "${name}" of "${namespace}"`,
    () =>
      client.core.deleteCollectionNamespacedPod({
        namespace,
        labelSelector: selector,
        gracePeriodSeconds: 0,
      }),
  );
  const deadline = Date.now() + options.timeoutMs;
  while (true) {
    const pods = await request(
      `list the pods of "${namespace}"`,
      () =>
        client.core.listNamespacedPod({ namespace, labelSelector: selector }),
    );
    if (pods.items.length === 0) return;
    if (Date.now() >= deadline) {
      throw new Error(
        `The pods of Deployment "${name}" of "${namespace}" were still there after ${options.timeoutMs} ms: ${
          pods.items.map((p) => p.metadata?.name).join(", ")
        }`,
      );
    }
    const pause = timer(100, undefined);
    await pause.promise;
  }
}

/**
 * Deletes `namespace` (propagation Background) and returns once the API
 * server accepted it, without waiting for it to be gone: the namespace
 * garbage-collects. A namespace already gone is fine.
 */
export async function deleteNamespace(
  client: KubeClient,
  namespace: string,
): Promise<void> {
  try {
    await client.core.deleteNamespace({
      name: namespace,
      propagationPolicy: "Background",
    });
  } catch (cause) {
    if (cause instanceof ApiException && cause.code === 404) return;
    throw new KubeRequestError(`delete namespace "${namespace}"`, cause);
  }
}

/** Where a cluster records the images imported into it. */
export const IMAGE_RECORD = {
  namespace: "kube-system",
  name: "harmony-fleet-e2e-images",
} as const;

/** A ConfigMap key for an image reference (`[-._a-zA-Z0-9]`). */
export function imageRecordKey(reference: string): string {
  return reference.replace(/[^-._a-zA-Z0-9]/g, "_");
}

/**
 * The image references recorded as imported into the cluster (the values
 * of ConfigMap `kube-system/harmony-fleet-e2e-images`); none when missing.
 */
export async function importedImages(client: KubeClient): Promise<Set<string>> {
  try {
    const map = await client.core.readNamespacedConfigMap(IMAGE_RECORD);
    return new Set(Object.values(map.data ?? {}));
  } catch (cause) {
    if (cause instanceof ApiException && cause.code === 404) return new Set();
    throw new KubeRequestError(
      `read ConfigMap "${IMAGE_RECORD.namespace}/${IMAGE_RECORD.name}"`,
      cause,
    );
  }
}

/**
 * Adds `references` to the cluster's record of imported images
 * (server-side apply of one key per reference, each reference its own
 * field manager entry, so concurrent runs add without overwriting).
 */
export async function recordImportedImages(
  client: KubeClient,
  references: readonly string[],
): Promise<void> {
  await request(
    `record the imported images in ConfigMap "${IMAGE_RECORD.namespace}/${IMAGE_RECORD.name}"`,
    () =>
      client.objects.patch(
        {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: {
            ...IMAGE_RECORD,
            labels: { "app.kubernetes.io/managed-by": FIELD_MANAGER },
          },
          data: Object.fromEntries(
            references.map((ref) => [imageRecordKey(ref), ref]),
          ),
        },
        undefined,
        undefined,
        `${FIELD_MANAGER}-images-${
          imageRecordKey(references.join(",")).slice(0, 80)
        }`,
        true,
        PatchStrategy.ServerSideApply,
      ),
  );
}
