/**
 * Stand-ins for the `k3d` backend's stand-in tests, since no Kubernetes API
 * server or k3d runs on our machines: a fake Kubernetes API (Deno.serve on
 * loopback, a kubeconfig pointing at it) that records every request and
 * answers just enough for the backend's flow, and fake `k3d` and `kubectl`
 * scripts that record their argv. Test-only.
 */

/** One request the fake API received. */
export interface RecordedRequest {
  method: string;
  /** The path, without the query. */
  path: string;
  query: Record<string, string>;
  contentType: string | null;
  /** The parsed JSON body, if any. */
  body?: Record<string, unknown>;
}

// deno-lint-ignore no-explicit-any
type Json = any;

const RESOURCES: Record<string, Json[]> = {
  "/api/v1": [
    ["namespaces", "Namespace", false],
    ["secrets", "Secret", true],
    ["services", "Service", true],
    ["configmaps", "ConfigMap", true],
    ["pods", "Pod", true],
  ],
  "/apis/apps/v1": [["deployments", "Deployment", true]],
};

/** The fake Kubernetes API; see the module doc. */
export class FakeKubeApi implements AsyncDisposable {
  /** Every request, in order. */
  readonly requests: RecordedRequest[] = [];
  /** Applied objects by their path. */
  readonly objects = new Map<string, Json>();
  /** Whether Deployments report their replicas available. */
  available = true;
  /** The data of ConfigMap kube-system/harmony-fleet-e2e-images, if any. */
  imageRecord: Record<string, string> | undefined;
  /** Refuse (422) applies of objects of this kind. */
  refuseKind: string | undefined;
  /** Refuse (403) deleting namespaces. */
  refuseDelete = false;
  readonly #server: Deno.HttpServer<Deno.NetAddr>;
  readonly #deletedSelectors = new Set<string>();

  private constructor() {
    this.#server = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      (request) => this.#handle(request),
    );
  }

  /** Starts it on a free loopback port. */
  static start(): FakeKubeApi {
    return new FakeKubeApi();
  }

  /** `http://127.0.0.1:<port>`. */
  get url(): string {
    return `http://127.0.0.1:${this.#server.addr.port}`;
  }

  /**
   * Writes a kubeconfig for it into `dir`: contexts `k3d-fleet-e2e` and
   * `elsewhere` (current), both on this server, plain http with
   * `insecure-skip-tls-verify` (the stand-in has no TLS), a bearer token.
   */
  async writeKubeconfig(dir: string): Promise<string> {
    const path = `${dir}/kubeconfig`;
    const config = {
      apiVersion: "v1",
      kind: "Config",
      clusters: [{
        name: "fake",
        cluster: { server: this.url, "insecure-skip-tls-verify": true },
      }],
      users: [{ name: "fake", user: { token: "stand-in-token" } }],
      contexts: ["k3d-fleet-e2e", "elsewhere"].map((name) => ({
        name,
        context: { cluster: "fake", user: "fake" },
      })),
      "current-context": "elsewhere",
    };
    await Deno.writeTextFile(path, JSON.stringify(config));
    return path;
  }

  /** The requests that change something (not GET). */
  get writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== "GET");
  }

  async #handle(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const text = await request.text();
    const recorded: RecordedRequest = {
      method: request.method,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: request.headers.get("content-type"),
      ...(text ? { body: JSON.parse(text) } : {}),
    };
    this.requests.push(recorded);
    const path = url.pathname;
    const json = (body: Json, status = 200) => Response.json(body, { status });
    const notFound = () =>
      json({
        kind: "Status",
        apiVersion: "v1",
        status: "Failure",
        message: `${path} not found`,
        reason: "NotFound",
        code: 404,
      }, 404);

    if (request.method === "GET" && RESOURCES[path]) {
      return json({
        kind: "APIResourceList",
        groupVersion: path === "/api/v1" ? "v1" : "apps/v1",
        resources: RESOURCES[path].map(([name, kind, namespaced]) => ({
          name,
          singularName: kind.toLowerCase(),
          kind,
          namespaced,
          verbs: ["create", "delete", "get", "list", "patch", "update"],
        })),
      });
    }
    if (request.method === "PATCH") {
      const body = recorded.body!;
      if (body.kind === this.refuseKind) {
        return json({
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          message: `${body.kind} is refused by the stand-in`,
          reason: "Invalid",
          code: 422,
        }, 422);
      }
      if (
        path ===
          "/api/v1/namespaces/kube-system/configmaps/harmony-fleet-e2e-images"
      ) {
        this.imageRecord = {
          ...this.imageRecord,
          ...(body.data as Record<string, string>),
        };
      }
      const previous = this.objects.get(path);
      const merged = previous && body.kind === "Deployment" && !body.metadata
        ? previous
        : body;
      if (previous && (body.spec as Json)?.replicas === 0) {
        previous.spec.replicas = 0;
        this.objects.set(path, previous);
      } else {
        this.objects.set(path, merged);
      }
      return json(this.objects.get(path));
    }
    if (
      request.method === "GET" &&
      path ===
        "/api/v1/namespaces/kube-system/configmaps/harmony-fleet-e2e-images"
    ) {
      return this.imageRecord === undefined ? notFound() : json({
        kind: "ConfigMap",
        apiVersion: "v1",
        metadata: {
          name: "harmony-fleet-e2e-images",
          namespace: "kube-system",
        },
        data: this.imageRecord,
      });
    }
    let match = path.match(
      /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments$/,
    );
    if (request.method === "GET" && match) {
      return json({
        kind: "DeploymentList",
        apiVersion: "apps/v1",
        metadata: {},
        items: this.#deployments(match[1]).map((d) => ({
          ...d,
          metadata: { ...d.metadata, generation: 1 },
          status: {
            observedGeneration: 1,
            replicas: d.spec.replicas ?? 1,
            availableReplicas: this.available ? d.spec.replicas ?? 1 : 0,
          },
        })),
      });
    }
    match = path.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods$/);
    if (match && request.method === "GET") {
      const selector = recorded.query.labelSelector ?? "";
      const pods = this.#deleted(selector) ? [] : this.#deployments(match[1])
        .filter((d) => matches(d.spec.selector.matchLabels, selector))
        .map((d) => this.#pod(d));
      return json({
        kind: "PodList",
        apiVersion: "v1",
        metadata: {},
        items: pods,
      });
    }
    if (match && request.method === "DELETE") {
      this.#deletedSelectors.add(recorded.query.labelSelector ?? "");
      return json({
        kind: "PodList",
        apiVersion: "v1",
        metadata: {},
        items: [],
      });
    }
    match = path.match(/^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)\/log$/);
    if (match) {
      return new Response(`stand-in log of ${match[2]}\n`);
    }
    match = path.match(/^\/api\/v1\/namespaces\/([^/]+)$/);
    if (match && request.method === "DELETE") {
      if (this.refuseDelete) {
        return json({
          kind: "Status",
          apiVersion: "v1",
          status: "Failure",
          message: "deleting namespaces is refused by the stand-in",
          reason: "Forbidden",
          code: 403,
        }, 403);
      }
      return json({
        kind: "Namespace",
        apiVersion: "v1",
        metadata: { name: match[1] },
        status: { phase: "Terminating" },
      });
    }
    return notFound();
  }

  #deleted(selector: string): boolean {
    return this.#deletedSelectors.has(selector);
  }

  #deployments(namespace: string): Json[] {
    const prefix = `/apis/apps/v1/namespaces/${namespace}/deployments/`;
    return [...this.objects].filter(([path]) => path.startsWith(prefix))
      .map(([, object]) => object);
  }

  #pod(deployment: Json): Json {
    const name = `${deployment.metadata.name}-5d9c7-x2k4p`;
    const container = deployment.spec.template.spec.containers[0].name;
    return {
      kind: "Pod",
      apiVersion: "v1",
      metadata: { name, labels: deployment.spec.selector.matchLabels },
      status: this.available
        ? { phase: "Running", conditions: [{ type: "Ready", status: "True" }] }
        : {
          phase: "Pending",
          conditions: [{
            type: "Ready",
            status: "False",
            reason: "ContainersNotReady",
          }],
          containerStatuses: [{
            name: container,
            ready: false,
            restartCount: 0,
            image: deployment.spec.template.spec.containers[0].image,
            imageID: "",
            state: {
              waiting: {
                reason: "ErrImageNeverPull",
                message:
                  "Container image is not present with pull policy of Never",
              },
            },
          }],
        },
    };
  }

  /** Stops the server. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.#server.shutdown();
  }
}

function matches(labels: Record<string, string>, selector: string): boolean {
  if (selector === "") return true;
  return selector.split(",").every((pair) => {
    const [key, value] = pair.split("=");
    return labels[key] === value;
  });
}

/**
 * A fake `k3d` in `dir`: appends its arguments, space-joined, one line per
 * call, to `<dir>/k3d.log`; `cluster list -o json` lists `fleet-e2e` once
 * `cluster create` made it (or `existing`).
 */
export async function writeFakeK3d(
  dir: string,
  options: { existing?: boolean } = {},
): Promise<{ bin: string; log: () => Promise<string[]> }> {
  const bin = `${dir}/k3d`;
  const state = `${dir}/k3d-cluster`;
  if (options.existing) await Deno.writeTextFile(state, "");
  await Deno.writeTextFile(
    bin,
    `#!/bin/sh
printf '%s\\n' "$*" >> '${dir}/k3d.log'
case "$1 $2" in
  "cluster list") if [ -f '${state}' ]; then echo '[{"name":"fleet-e2e","nodes":[]}]'; else echo '[]'; fi ;;
  "cluster create") touch '${state}' ;;
esac
`,
    { mode: 0o755 },
  );
  return { bin, log: () => readLines(`${dir}/k3d.log`) };
}

/**
 * A fake `kubectl` in `dir`: appends its arguments to `<dir>/kubectl.log`,
 * says `Forwarding from 127.0.0.1:<port> -> 4222` (the port of a real
 * nats-server the test runs) and waits; on SIGTERM it logs `stopped` and
 * exits 0. With `fail`, it says an error and exits 1.
 */
export async function writeFakeKubectl(
  dir: string,
  options: { port?: number; fail?: boolean },
): Promise<{ bin: string; log: () => Promise<string[]> }> {
  const bin = `${dir}/kubectl`;
  const log = `${dir}/kubectl.log`;
  await Deno.writeTextFile(
    bin,
    options.fail
      ? `#!/bin/sh
printf '%s\\n' "$*" >> '${log}'
echo 'error: services "nats" not found' >&2
exit 1
`
      : `#!/bin/sh
printf '%s\\n' "$*" >> '${log}'
trap 'kill $pid 2>/dev/null; echo stopped >> '"'${log}'"'; exit 0' TERM
echo 'Forwarding from 127.0.0.1:${options.port} -> 4222'
echo 'Forwarding from [::1]:${options.port} -> 4222'
# Its own output elsewhere: were it orphaned by a SIGTERM between the
# next two lines, it must not hold our stdout open (the reader would wait
# for it).
sleep 3600 >/dev/null 2>&1 &
pid=$!
wait $pid
`,
    { mode: 0o755 },
  );
  return { bin, log: () => readLines(log) };
}

async function readLines(path: string): Promise<string[]> {
  try {
    return (await Deno.readTextFile(path)).split("\n").filter((l) => l);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}
