/**
 * A Kubernetes API client for the `k3d` backend: `@kubernetes/client-node`
 * (kubeconfig loading and auth, typed APIs, server-side apply) over Deno's
 * own `fetch` with one `Deno.HttpClient` per client, closed on dispose.
 * Private to `e2e/`.
 *
 * Why not client-node's own transport: it differs between versions and is
 * not closable from outside. Measured here (stand-in API over http, server
 * left running): 2.0.1 (undici, an Agent per request) leaves 2 timers that
 * Deno's sanitizers report; 1.4.0 (node-fetch) left nothing over http, and
 * over https with keep-alive it is unmeasured. Deno's `fetch` with one
 * `Deno.HttpClient`, closed on dispose, leaves nothing either way. The
 * transport is client-node's documented seam (`createConfiguration({
 * httpApi })`); auth headers still come from the kubeconfig through
 * client-node (token, exec plugin); TLS (CA, client certificate) is read
 * from the kubeconfig here.
 *
 * Why 1.4.0, not 2.x: 2.x depends on `@types/node` ^26, which then types
 * every `node:` import of the whole package and breaks `deno check .`
 * (e.g. `assert.ok(value, message?: string)`); 1.4.0's ^24 does not.
 */
import {
  AppsV1Api,
  CoreV1Api,
  createConfiguration,
  KubeConfig,
  KubernetesObjectApi,
  type RequestContext,
  ResponseContext,
  ServerConfiguration,
  wrapHttpLibrary,
} from "@kubernetes/client-node";
import { Buffer } from "node:buffer";

/** Options of {@linkcode KubeClient.load}. */
export interface KubeClientOptions {
  /**
   * The kubeconfig file.
   *
   * @default {$KUBECONFIG, else ~/.kube/config (client-node's loadFromDefault)}
   */
  kubeconfig?: string;
  /**
   * The context to use.
   *
   * @default {the kubeconfig's current context}
   */
  context?: string;
}

/** Thrown when the kubeconfig cannot be used. */
export class KubeConfigError extends Error {
  /** Builds the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "KubeConfigError";
  }
}

/** The typed APIs of one cluster; dispose closes its connections. */
export class KubeClient implements Disposable {
  /** Core v1: namespaces, pods, logs, ConfigMaps. */
  readonly core: CoreV1Api;
  /** apps/v1: Deployments. */
  readonly apps: AppsV1Api;
  /** Any object, by its apiVersion and kind (server-side apply). */
  readonly objects: KubernetesObjectApi;
  /** The context used. */
  readonly context: string;
  /** The API server's URL. */
  readonly server: string;
  readonly #http: Deno.HttpClient;

  private constructor(kc: KubeConfig, http: Deno.HttpClient) {
    const cluster = kc.getCurrentCluster()!;
    this.context = kc.getCurrentContext();
    this.server = cluster.server;
    this.#http = http;
    const client = http;
    const config = createConfiguration({
      baseServer: new ServerConfiguration(cluster.server, {}),
      authMethods: { default: kc },
      httpApi: wrapHttpLibrary({ send: (request) => send(client, request) }),
    });
    this.core = new CoreV1Api(config);
    this.apps = new AppsV1Api(config);
    this.objects = new KubernetesObjectApi(config);
  }

  /**
   * Loads the kubeconfig (see {@linkcode KubeClientOptions}) and makes the
   * clients. TLS: the cluster's CA and the user's client certificate, from
   * data or files; a token or an exec plugin is applied by client-node.
   *
   * @throws {KubeConfigError} when the kubeconfig is missing or has no such
   *   context, or asks for `insecure-skip-tls-verify` over https.
   */
  static load(options: KubeClientOptions = {}): KubeClient {
    const kc = new KubeConfig();
    const where = options.kubeconfig !== undefined
      ? `kubeconfig "${options.kubeconfig}"`
      : `the default kubeconfig (${
        Deno.env.get("KUBECONFIG") ?? "~/.kube/config"
      })`;
    try {
      if (options.kubeconfig !== undefined) {
        kc.loadFromFile(options.kubeconfig);
      } else {
        kc.loadFromDefault();
      }
    } catch (cause) {
      throw new KubeConfigError(`Cannot load ${where}`, { cause });
    }
    if (options.context !== undefined) {
      if (!kc.getContextObject(options.context)) {
        throw new KubeConfigError(
          `Cannot use context "${options.context}" of ${where}: no such context; it has ${
            kc.getContexts().map((c) => `"${c.name}"`).join(", ") || "none"
          }`,
        );
      }
      kc.setCurrentContext(options.context);
    }
    const cluster = kc.getCurrentCluster();
    const user = kc.getCurrentUser();
    if (!cluster) {
      throw new KubeConfigError(
        `Cannot use ${where}: it has no current cluster`,
      );
    }
    const https = cluster.server.startsWith("https:");
    if (https && cluster.skipTLSVerify) {
      throw new KubeConfigError(
        `Cannot use cluster "${cluster.name}" of ${where}: insecure-skip-tls-verify over https is not supported; give its CA (certificate-authority-data)`,
      );
    }
    if (!https && !cluster.skipTLSVerify) {
      throw new KubeConfigError(
        `Cannot use cluster "${cluster.name}" of ${where}: plain http ("${cluster.server}") needs insecure-skip-tls-verify: true`,
      );
    }
    const ca = pem(cluster.caData, cluster.caFile);
    const cert = pem(user?.certData, user?.certFile);
    const key = pem(user?.keyData, user?.keyFile);
    const http = Deno.createHttpClient({
      ...(ca ? { caCerts: [ca] } : {}),
      ...(cert && key ? { cert, key } : {}),
    });
    return new KubeClient(kc, http);
  }

  /** Closes the client's connections. */
  [Symbol.dispose](): void {
    this.#http.close();
  }
}

/** A PEM text from kubeconfig `…-data` (base64) or a file. */
function pem(data?: string, file?: string): string | undefined {
  if (data) return new TextDecoder().decode(Buffer.from(data, "base64"));
  if (file) return Deno.readTextFileSync(file);
  return undefined;
}

async function send(
  client: Deno.HttpClient,
  request: RequestContext,
): Promise<ResponseContext> {
  const response = await fetch(request.getUrl(), {
    method: request.getHttpMethod(),
    headers: request.getHeaders(),
    body: request.getBody() as BodyInit | undefined,
    signal: request.getSignal(),
    client,
  });
  // Read at once: nothing stays open, whatever the caller does.
  const bytes = new Uint8Array(await response.arrayBuffer());
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => headers[name] = value);
  return new ResponseContext(response.status, headers, {
    text: () => Promise.resolve(new TextDecoder().decode(bytes)),
    binary: () => Promise.resolve(Buffer.from(bytes)),
  });
}
