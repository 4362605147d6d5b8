/**
 * The one place that maps a stack's manifests to what `podman kube play`
 * (4.3) can run. The mapping, object by object:
 *
 * | in the cluster | under podman | why |
 * | --- | --- | --- |
 * | Namespace | dropped | podman has none (it ignores the object) |
 * | Service `nats` | dropped | no cluster DNS; podman ignores it |
 * | Secret `fleet-config` | one ConfigMap per Deployment, `<ns>-<name>-config`, with only the keys it mounts | a Secret volume makes podman 4.3 panic; and podman makes one named volume of a ConfigMap, shared by every pod that mounts it, so `items` of one ConfigMap do not keep the agents' files apart (checked with one ConfigMap: the first agent read the second one's config) |
 * | Secret volumes | ConfigMap volumes of their Deployment's ConfigMap, same items | as above |
 * | Deployment `<name>` | Deployment `<ns>-<name>` | podman names are global: pods `<ns>-<name>-pod-0`, containers `<ns>-<name>-pod-0-<container>`, and the ConfigMap becomes a volume of its name |
 * | pod network | `hostNetwork: true` | no pod network (the test podman runs with `netns = "none"`); NATS is then on the host's loopback, where the test reaches it |
 * | nats-server on `0.0.0.0:4222`, monitoring `8222` | `--addr 127.0.0.1 --port <natsPort> --http_port <monitorPort>` appended to its args (flags win over its config file) | free loopback ports per stack |
 * | container `ports` | dropped; the readiness probe's named port becomes `<monitorPort>` | podman makes port mappings of them, refused with host networking |
 * | NATS readiness probe | kept, but podman 4.3 ignores it (no healthcheck is made) | wait for {@linkcode PodmanManifests.healthzUrl} from the host instead |
 * | agents' `servers = ["nats://nats.<ns>.svc:4222"]` | `["nats://127.0.0.1:<natsPort>"]`, in their TOML in the ConfigMap | the Service does not exist |
 * | an agent's token (`<agent>.token`, `auth: "callout"`) | kept as it is in its ConfigMap | not TOML; the callout runs on the host |
 *
 * `podman kube down` removes the pods but leaves the ConfigMaps' volumes
 * (`podman volume rm` each of {@linkcode PodmanManifests.volumes}).
 *
 * @module
 */
import { parse as parseToml, stringify as stringifyToml } from "smol-toml";
import { ConfigMap as ConfigMapModel } from "kubernetes-models/v1";
import type { IContainer, IVolume } from "kubernetes-models/v1";
import { Deployment as DeploymentModel } from "kubernetes-models/apps/v1";
import type { ConfigMap, Deployment } from "./k8s_types.ts";
import type { StackManifests } from "./manifests.ts";
import { CONFIG_SECRET_NAME, DEVICE_ID_ANNOTATION } from "./names.ts";

/** Options of {@linkcode adaptForPodman}. */
export interface PodmanAdaptOptions {
  /** The host port nats-server listens on for clients (pick a free one). */
  natsPort: number;
  /** The host port of its monitoring endpoint (`/healthz`). */
  monitorPort: number;
  /**
   * The address nats-server listens on; the agents and the test connect there.
   *
   * @default {"127.0.0.1"}
   */
  host?: string;
}

/** What {@linkcode adaptForPodman} gives: the objects for `podman kube play` and the names podman will use. */
export interface PodmanManifests {
  /** Every object for `podman kube play`, in order: the ConfigMaps, the NATS Deployment, the agents'. */
  objects: (ConfigMap | Deployment)[];
  /** One per Deployment, `<deployment>-config`, with the keys of the Secret it mounts; the only objects with secrets. */
  configMaps: ConfigMap[];
  /** nats-server. */
  natsDeployment: Deployment;
  /** The agents, in the order of the manifests. */
  agentDeployments: Deployment[];
  /** Where the test (and the agents) reach NATS, `nats://127.0.0.1:<natsPort>`. */
  natsUrl: string;
  /** nats-server's health endpoint, `http://127.0.0.1:<monitorPort>/healthz`. */
  healthzUrl: string;
  /** The podman volumes `kube down` leaves behind (one per ConfigMap, of its name): `podman volume rm` them. */
  volumes: string[];
  /** The pods podman creates, `<deployment>-pod-0`, NATS first. */
  pods: string[];
  /** The NATS container's name. */
  natsContainer: string;
  /** Each agent container's name, by device id, in the order of the manifests. */
  agentContainers: Record<string, string>;
}

/**
 * Maps `manifests` to what `podman kube play` 4.3 runs (see the module doc
 * for the mapping). Pure: `manifests` is left as it is.
 *
 * @throws {RangeError} for a port outside 1..65535, or the same port twice.
 * @example
 * ```ts ignore
 * import { adaptForPodman, renderStackManifests, toYaml } from "./mod.ts";
 * const podman = adaptForPodman(renderStackManifests(options), { natsPort: 42222, monitorPort: 48222 });
 * await Deno.writeTextFile("stack.yaml", toYaml(podman.objects));
 * // podman kube play stack.yaml; then connect to podman.natsUrl
 * ```
 */
export function adaptForPodman(
  manifests: StackManifests,
  options: PodmanAdaptOptions,
): PodmanManifests {
  for (const port of [options.natsPort, options.monitorPort]) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RangeError(
        `Cannot adapt the manifests for podman: invalid port ${port}, expected an integer in 1..65535`,
      );
    }
  }
  if (options.natsPort === options.monitorPort) {
    throw new RangeError(
      `Cannot adapt the manifests for podman: natsPort and monitorPort are both ${options.natsPort}`,
    );
  }
  const host = options.host ?? "127.0.0.1";
  const namespace = manifests.namespace.metadata!.name!;
  const prefixed = (name: string) => `${namespace}-${name}`;
  const natsUrl = `nats://${hostForUrl(host)}:${options.natsPort}`;

  const secret = manifests.secret;
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(secret.data ?? {})) {
    data[key] = new TextDecoder().decode(
      Uint8Array.from(atob(value), (c) => c.charCodeAt(0)),
    );
  }
  Object.assign(data, secret.stringData ?? {});

  const configMaps: ConfigMap[] = [];
  const adapt = (
    source: Deployment,
    changeContainer: (container: IContainer) => IContainer,
    changeConfig: (text: string, key: string) => string,
  ): Deployment => {
    const json = structuredClone(source.toJSON()) as Deployment;
    const name = prefixed(json.metadata!.name!);
    json.metadata!.name = name;
    delete json.metadata!.namespace;
    const pod = json.spec!.template.spec!;
    const configMapName = `${name}-config`;
    const keys = configKeys(source);
    if (keys.length > 0) {
      configMaps.push(
        new ConfigMapModel({
          metadata: {
            name: configMapName,
            labels: { ...secret.metadata?.labels },
          },
          data: Object.fromEntries(
            keys.filter((key) => data[key] !== undefined)
              .map((key) => [key, changeConfig(data[key], key)]),
          ),
        }),
      );
    }
    pod.hostNetwork = true;
    pod.volumes = pod.volumes?.map(toConfigMapVolume(configMapName));
    pod.containers = pod.containers.map(changeContainer);
    return new DeploymentModel(json);
  };

  const natsDeployment = adapt(
    manifests.natsDeployment,
    ({ ports: _ports, ...container }) => ({
      ...container,
      args: [
        ...container.args ?? [],
        "--addr",
        host,
        "--port",
        String(options.natsPort),
        "--http_port",
        String(options.monitorPort),
      ],
      ...(container.readinessProbe?.httpGet === undefined ? {} : {
        readinessProbe: {
          ...container.readinessProbe,
          httpGet: {
            ...container.readinessProbe.httpGet,
            port: options.monitorPort,
          },
        },
      }),
    }),
    (text) => text,
  );
  const agentDeployments = manifests.agentDeployments.map((d) =>
    adapt(
      d,
      (c) => c,
      // Only the TOML configs: a token file (`<agent>.token`) stays as it is.
      (text, key) =>
        key.endsWith(".toml") ? withServers(text, [natsUrl]) : text,
    )
  );

  const podOf = (d: Deployment) => `${d.metadata!.name}-pod-0`;
  const containerOf = (d: Deployment) =>
    `${podOf(d)}-${d.spec!.template.spec!.containers[0].name}`;
  return {
    objects: [...configMaps, natsDeployment, ...agentDeployments],
    configMaps,
    natsDeployment,
    agentDeployments,
    natsUrl,
    healthzUrl: `http://${hostForUrl(host)}:${options.monitorPort}/healthz`,
    volumes: configMaps.map((configMap) => configMap.metadata!.name!),
    pods: [natsDeployment, ...agentDeployments].map(podOf),
    natsContainer: containerOf(natsDeployment),
    agentContainers: Object.fromEntries(
      agentDeployments.map((d) => [
        d.metadata!.annotations![DEVICE_ID_ANNOTATION],
        containerOf(d),
      ]),
    ),
  };
}

/** The config Secret's keys an agent Deployment mounts. */
function configKeys(deployment: Deployment): string[] {
  return (deployment.spec?.template.spec?.volumes ?? [])
    .filter((volume) => volume.secret?.secretName === CONFIG_SECRET_NAME)
    .flatMap((volume) => volume.secret!.items?.map((item) => item.key) ?? []);
}

/** A Secret volume of the config Secret as a ConfigMap volume. */
function toConfigMapVolume(configMapName: string) {
  return (volume: IVolume): IVolume => {
    if (volume.secret === undefined) return volume;
    const { secret, ...rest } = volume;
    return {
      ...rest,
      configMap: {
        name: configMapName,
        ...(secret.items === undefined ? {} : { items: secret.items }),
        ...(secret.defaultMode === undefined
          ? {}
          : { defaultMode: secret.defaultMode }),
      },
    };
  };
}

/** An agent's TOML config with `[nats] servers` replaced. */
function withServers(toml: string, servers: string[]): string {
  const config = parseToml(toml) as Record<string, Record<string, unknown>>;
  config.nats = { ...config.nats, servers };
  return stringifyToml(config) + "\n";
}

function hostForUrl(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}
