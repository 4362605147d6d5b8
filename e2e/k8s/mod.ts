/**
 * A stack's Kubernetes manifests as typed `kubernetes-models` objects, one
 * source for the `k3d` and `podman` backends:
 * {@linkcode renderStackConfigs} (the nats-server and agent configs),
 * {@linkcode renderStackManifests} (Namespace, Secret, NATS Deployment and
 * Service, one agent Deployment per device), {@linkcode adaptForPodman}
 * (the one place that maps them to what `podman kube play` runs) and
 * {@linkcode toYaml} (a `---`-separated stream for `kubectl apply -f -` or
 * `podman kube play`). Every object has `.validate()` against the official
 * schemas.
 *
 * @example
 * ```ts
 * import { manifestList, renderStackConfigs, renderStackManifests, toYaml } from "./mod.ts";
 *
 * const namespace = "e2e-1a2b3c4d";
 * const configs = renderStackConfigs({
 *   namespace,
 *   admin: { user: "admin", password: "admin-pw" },
 *   devices: [{ deviceId: `d1-${namespace}`, user: "device-d1", password: "pw" }],
 * });
 * const manifests = renderStackManifests({
 *   namespace,
 *   agentImage: "localhost/harmony-fleet-agent:e2e-0123456789abcdef",
 *   natsImage: "localhost/harmony-fleet-nats:e2e-0123456789abcdef",
 *   ...configs,
 * });
 * const objects = manifestList(manifests);
 * for (const object of objects) object.validate();
 * const yaml = toYaml(objects); // kubectl apply -f -
 * ```
 *
 * @module
 */
export * from "./configs.ts";
export * from "./k8s_types.ts";
export * from "./manifests.ts";
export * from "./names.ts";
export * from "./podman.ts";
export * from "./yaml.ts";
export type {
  Credentials,
  DeviceUser,
} from "../../testing/nats_server_config.ts";
