/**
 * The `kubernetes-models` classes that this module's API takes and returns,
 * under the same names. Each is an alias, so objects pass freely between
 * this module and `kubernetes-models`; their fields are documented by
 * `kubernetes-models` (the Kubernetes API reference), and every one has
 * `validate()` (against the official OpenAPI schema) and `toJSON()`.
 *
 * @module
 */
import type * as v1 from "kubernetes-models/v1";
import type * as appsV1 from "kubernetes-models/apps/v1";

/**
 * A core/v1 Namespace.
 *
 * @example
 * ```ts
 * import type { Namespace } from "./k8s_types.ts";
 * const name = (ns: Namespace) => ns.metadata?.name;
 * ```
 */
export type Namespace = v1.Namespace;

/**
 * A core/v1 Secret.
 *
 * @example
 * ```ts
 * import type { Secret } from "./k8s_types.ts";
 * const keys = (secret: Secret) => Object.keys(secret.stringData ?? {});
 * ```
 */
export type Secret = v1.Secret;

/**
 * A core/v1 ConfigMap.
 *
 * @example
 * ```ts
 * import type { ConfigMap } from "./k8s_types.ts";
 * const keys = (map: ConfigMap) => Object.keys(map.data ?? {});
 * ```
 */
export type ConfigMap = v1.ConfigMap;

/**
 * A core/v1 Service.
 *
 * @example
 * ```ts
 * import type { Service } from "./k8s_types.ts";
 * const ports = (service: Service) => service.spec?.ports?.map((p) => p.port);
 * ```
 */
export type Service = v1.Service;

/**
 * An apps/v1 Deployment.
 *
 * @example
 * ```ts
 * import type { Deployment } from "./k8s_types.ts";
 * const images = (d: Deployment) => d.spec?.template.spec?.containers.map((c) => c.image);
 * ```
 */
export type Deployment = appsV1.Deployment;
