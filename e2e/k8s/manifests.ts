/**
 * The Kubernetes objects of one e2e stack, as typed `kubernetes-models`
 * objects (no hand-written YAML): a labelled Namespace, a Secret with every
 * config, the NATS Deployment and Service, one agent Deployment per device.
 *
 * The agent has no readiness probe, on purpose: it listens on no port (so
 * no `httpGet`/`tcpSocket` probe), and its images have no shell or
 * helper binary (distroless, or `FROM scratch`), so no `exec` probe. What
 * "ready" means for an agent (connected to NATS, subscribed to its
 * commands) is only visible on NATS: the harness waits for each device's
 * heartbeat and a ping answer, with a deadline naming the devices that are
 * not ready. An agent that cannot start (bad config: exit 2) shows as a
 * restarting container, which the harness reports from the container's
 * state and log.
 *
 * @module
 */
import {
  Namespace as NamespaceModel,
  Secret as SecretModel,
  Service as ServiceModel,
} from "kubernetes-models/v1";
import type {
  IContainer,
  IPodSecurityContext,
  ISecurityContext,
  IVolume,
} from "kubernetes-models/v1";
import { Deployment as DeploymentModel } from "kubernetes-models/apps/v1";
import type {
  ConfigMap,
  Deployment,
  Namespace,
  Secret,
  Service,
} from "./k8s_types.ts";
import {
  AGENT_CONFIG_PATH,
  AGENT_TOKEN_PATH,
  agentName,
  assertStackNamespace,
  CONFIG_SECRET_NAME,
  DEVICE_ID_ANNOTATION,
  NATS_CLIENT_PORT,
  NATS_CONFIG_KEY,
  NATS_CONFIG_PATH,
  NATS_MONITOR_PORT,
  NATS_NAME,
  NATS_STORE_DIR,
  stackLabels,
} from "./names.ts";

/** How the images are pulled: `Never` for sideloaded images, `IfNotPresent` for registry references. */
export type ImagePullPolicy = "Never" | "IfNotPresent" | "Always";

/** One agent of a stack: its device and its rendered TOML config. */
export interface StackAgentManifest {
  /** The device id the agent answers for. */
  deviceId: string;
  /** The agent's TOML config text (it holds the device's password). */
  config: string;
  /**
   * The agent's token (`auth: "callout"`), mounted as `AGENT_TOKEN_PATH`
   * beside its config (Secret key `<agent>.token`).
   *
   * @default {undefined (no token file)}
   */
  token?: string;
}

/** Options of {@linkcode renderStackManifests}. */
export interface StackManifestOptions {
  /** The stack's namespace, `e2e-<8 hex>`. */
  namespace: string;
  /** The agent image, e.g. `localhost/harmony-fleet-agent:e2e-<hash>` or a registry reference. */
  agentImage: string;
  /** The nats-server image, e.g. `localhost/harmony-fleet-nats:e2e-<hash>`. */
  natsImage: string;
  /**
   * The pull policy of every container: `Never` when the images are
   * sideloaded (`podman`, `k3d image import`), `IfNotPresent` for registry
   * references.
   *
   * @default {"Never" for `localhost/…` images, else "IfNotPresent"}
   */
  imagePullPolicy?: ImagePullPolicy;
  /** The nats-server config text (see `renderStackConfigs`); it holds every password. */
  natsConfig: string;
  /** The agents, one Deployment each, in this order. */
  agents: readonly StackAgentManifest[];
}

/** The objects of one stack, by role. */
export interface StackManifests {
  /** The stack's Namespace, labelled so leftovers can be found. */
  namespace: Namespace;
  /** Every config (nats-server's, each agent's): the only object with secrets. */
  secret: Secret;
  /** nats-server, JetStream on, ready when `/healthz` on the monitoring port answers. */
  natsDeployment: Deployment;
  /** `nats.<namespace>.svc`: the client and monitoring ports. */
  natsService: Service;
  /** One per agent, in the order given. */
  agentDeployments: Deployment[];
}

/** Any object of a stack's manifests, after mapping too (`adaptForPodman`). */
export type StackObject =
  | Namespace
  | Secret
  | ConfigMap
  | Service
  | Deployment;

/**
 * Renders the objects of one stack. Pure: the same options give the same
 * objects. The agents reach NATS at the Service, as the configs given say
 * (`renderStackConfigs` writes `nats://nats.<namespace>.svc:4222`).
 *
 * @throws {RangeError} for a namespace that is not `e2e-<8 hex>`, an
 * invalid or repeated device id, or an empty image.
 * @example
 * ```ts
 * import { renderStackManifests } from "./manifests.ts";
 * const manifests = renderStackManifests({
 *   namespace: "e2e-1a2b3c4d",
 *   agentImage: "localhost/harmony-fleet-agent:e2e-0123456789abcdef",
 *   natsImage: "localhost/harmony-fleet-nats:e2e-0123456789abcdef",
 *   natsConfig: "listen: \"0.0.0.0:4222\"\n",
 *   agents: [{ deviceId: "d1-e2e-1a2b3c4d", config: "[agent]\n" }],
 * });
 * manifests.agentDeployments[0].metadata?.name; // "agent-d1-e2e-1a2b3c4d"
 * ```
 */
export function renderStackManifests(
  options: StackManifestOptions,
): StackManifests {
  const { namespace } = options;
  assertStackNamespace(namespace);
  for (const image of [options.agentImage, options.natsImage]) {
    if (image.trim() === "") {
      throw new RangeError(`Cannot render the stack manifests: empty image`);
    }
  }
  const pullPolicy = (image: string): ImagePullPolicy =>
    options.imagePullPolicy ??
      (image.startsWith("localhost/") ? "Never" : "IfNotPresent");
  const names = new Set<string>();
  const agents = options.agents.map((agent) => {
    const name = agentName(agent.deviceId);
    if (names.has(name)) {
      throw new RangeError(
        `Cannot render the stack manifests: device ${
          JSON.stringify(agent.deviceId)
        } appears twice`,
      );
    }
    names.add(name);
    return { ...agent, name };
  });

  const secret = new SecretModel({
    metadata: {
      name: CONFIG_SECRET_NAME,
      namespace,
      labels: stackLabels(namespace, {
        "app.kubernetes.io/component": "config",
      }),
    },
    type: "Opaque",
    stringData: {
      [NATS_CONFIG_KEY]: options.natsConfig,
      ...Object.fromEntries(
        agents.map((agent) => [`${agent.name}.toml`, agent.config]),
      ),
      ...Object.fromEntries(
        agents.filter((agent) => agent.token !== undefined)
          .map((agent) => [`${agent.name}.token`, `${agent.token}\n`]),
      ),
    },
  });

  const natsLabels = stackLabels(namespace, {
    "app.kubernetes.io/name": NATS_NAME,
    "app.kubernetes.io/component": "messaging",
  });
  const natsDeployment = deployment(namespace, NATS_NAME, natsLabels, {}, {
    containers: [{
      name: NATS_NAME,
      image: options.natsImage,
      imagePullPolicy: pullPolicy(options.natsImage),
      args: ["--config", NATS_CONFIG_PATH],
      ports: [
        { name: "client", containerPort: NATS_CLIENT_PORT },
        { name: "monitor", containerPort: NATS_MONITOR_PORT },
      ],
      readinessProbe: {
        httpGet: { path: "/healthz", port: "monitor" },
        periodSeconds: 2,
        failureThreshold: 30,
      },
      resources: {
        requests: { cpu: "50m", memory: "64Mi" },
        limits: { cpu: "1", memory: "256Mi" },
      },
      securityContext: CONTAINER_SECURITY,
      volumeMounts: [
        { name: "config", mountPath: dirOf(NATS_CONFIG_PATH), readOnly: true },
        { name: "data", mountPath: NATS_STORE_DIR },
      ],
    }],
    volumes: [
      secretVolume("config", NATS_CONFIG_KEY, baseOf(NATS_CONFIG_PATH)),
      { name: "data", emptyDir: { sizeLimit: "256Mi" } },
    ],
  });

  const natsService = new ServiceModel({
    metadata: { name: NATS_NAME, namespace, labels: natsLabels },
    spec: {
      selector: natsLabels,
      ports: [
        {
          name: "client",
          port: NATS_CLIENT_PORT,
          targetPort: "client",
          protocol: "TCP",
        },
        {
          name: "monitor",
          port: NATS_MONITOR_PORT,
          targetPort: "monitor",
          protocol: "TCP",
        },
      ],
    },
  });

  const agentDeployments = agents.map((agent) => {
    const labels = stackLabels(namespace, {
      "app.kubernetes.io/name": "agent",
      "app.kubernetes.io/component": "agent",
      "app.kubernetes.io/instance": agent.name,
    });
    return deployment(namespace, agent.name, labels, {
      [DEVICE_ID_ANNOTATION]: agent.deviceId,
    }, {
      containers: [{
        name: "agent",
        image: options.agentImage,
        imagePullPolicy: pullPolicy(options.agentImage),
        args: ["--config", AGENT_CONFIG_PATH],
        resources: {
          requests: { cpu: "10m", memory: "48Mi" },
          limits: { cpu: "500m", memory: "192Mi" },
        },
        securityContext: CONTAINER_SECURITY,
        volumeMounts: [
          {
            name: "config",
            mountPath: dirOf(AGENT_CONFIG_PATH),
            readOnly: true,
          },
          { name: "tmp", mountPath: "/tmp" },
        ],
      }],
      volumes: [
        secretVolume(
          "config",
          `${agent.name}.toml`,
          baseOf(AGENT_CONFIG_PATH),
          {
            extra: agent.token === undefined ? [] : [{
              key: `${agent.name}.token`,
              path: baseOf(AGENT_TOKEN_PATH),
            }],
          },
        ),
        { name: "tmp", emptyDir: { sizeLimit: "16Mi" } },
      ],
    });
  });

  const namespaceObject = new NamespaceModel({
    metadata: { name: namespace, labels: stackLabels(namespace) },
  });
  return {
    namespace: namespaceObject,
    secret,
    natsDeployment,
    natsService,
    agentDeployments,
  };
}

/**
 * The objects of `manifests` in the order to apply them: Namespace, Secret,
 * NATS Deployment, Service, agents (deleting goes the other way, or just
 * deletes the Namespace).
 *
 * @example
 * ```ts ignore
 * import { manifestList, renderStackManifests } from "./manifests.ts";
 * manifestList(renderStackManifests(options)).map((o) => o.kind);
 * // ["Namespace", "Secret", "Deployment", "Service", "Deployment", …]
 * ```
 */
export function manifestList(manifests: StackManifests): StackObject[] {
  return [
    manifests.namespace,
    manifests.secret,
    manifests.natsDeployment,
    manifests.natsService,
    ...manifests.agentDeployments,
  ];
}

/** Non-root (the distroless `nonroot` user), read-only root, no privileges. */
const POD_SECURITY: IPodSecurityContext = {
  runAsNonRoot: true,
  runAsUser: 65532,
  runAsGroup: 65532,
  fsGroup: 65532,
  seccompProfile: { type: "RuntimeDefault" },
};
const CONTAINER_SECURITY: ISecurityContext = {
  readOnlyRootFilesystem: true,
  allowPrivilegeEscalation: false,
  capabilities: { drop: ["ALL"] },
};

function deployment(
  namespace: string,
  name: string,
  labels: Record<string, string>,
  annotations: Record<string, string>,
  pod: { containers: IContainer[]; volumes: IVolume[] },
): Deployment {
  const metadata = {
    name,
    namespace,
    labels,
    ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
  };
  return new DeploymentModel({
    metadata,
    spec: {
      replicas: 1,
      strategy: { type: "Recreate" },
      selector: { matchLabels: labels },
      template: {
        metadata: {
          labels,
          ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
        },
        spec: {
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 5,
          securityContext: POD_SECURITY,
          ...pod,
        },
      },
    },
  });
}

/** A volume with one key of the config Secret, as file `path`. */
function secretVolume(
  name: string,
  key: string,
  path: string,
  options: { extra?: { key: string; path: string }[] } = {},
): IVolume {
  return {
    name,
    secret: {
      secretName: CONFIG_SECRET_NAME,
      items: [{ key, path }, ...options.extra ?? []],
      defaultMode: 0o440,
    },
  };
}

function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf("/"));
}

function baseOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
