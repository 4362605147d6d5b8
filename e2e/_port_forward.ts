/**
 * A port-forward to a Service of a cluster, by `kubectl port-forward` as a
 * subprocess: it speaks whichever streaming protocol the API server offers
 * (WebSockets or SPDY), on any cluster, with the kubeconfig's auth. A
 * loopback port of this machine, picked by kubectl and read from its
 * output. Closing it stops kubectl and waits for it. Private to `e2e/`.
 */

/** Options of {@linkcode KubectlPortForward.start}. */
export interface PortForwardOptions {
  /** The kubectl binary. @default {"kubectl"} */
  kubectl?: string;
  /** `--kubeconfig`. @default {kubectl's own: $KUBECONFIG, ~/.kube/config} */
  kubeconfig?: string;
  /** `--context`. @default {the current context} */
  context?: string;
  /** The namespace. */
  namespace: string;
  /** What to forward to, e.g. `svc/nats`. */
  target: string;
  /** The remote port. */
  remotePort: number;
  /** How long kubectl may take to say where it listens. @default {20_000} */
  timeoutMs?: number;
}

/** Thrown when kubectl port-forward does not start. */
export class PortForwardError extends Error {
  /** Builds the error. */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "PortForwardError";
  }
}

const FORWARDING = /Forwarding from 127\.0\.0\.1:(\d+) ->/;

/** A running `kubectl port-forward`. */
export class KubectlPortForward implements AsyncDisposable {
  /** The local port (on 127.0.0.1). */
  readonly localPort: number;
  /** kubectl's arguments, for the debug text. */
  readonly args: readonly string[];
  readonly #child: Deno.ChildProcess;
  readonly #drained: Promise<unknown>;
  #closed: Promise<void> | undefined;

  private constructor(
    localPort: number,
    args: string[],
    child: Deno.ChildProcess,
    drained: Promise<unknown>,
  ) {
    this.localPort = localPort;
    this.args = args;
    this.#child = child;
    this.#drained = drained;
  }

  /** kubectl's arguments for `options` (without the binary). */
  static argsFor(options: PortForwardOptions): string[] {
    return [
      ...(options.kubeconfig ? ["--kubeconfig", options.kubeconfig] : []),
      ...(options.context ? ["--context", options.context] : []),
      "--namespace",
      options.namespace,
      "port-forward",
      "--address",
      "127.0.0.1",
      options.target,
      `:${options.remotePort}`,
    ];
  }

  /**
   * Starts kubectl and resolves once it says where it listens.
   *
   * @throws {PortForwardError} when kubectl cannot start, exits first, or
   *   says nothing within `timeoutMs`; with its output.
   */
  static async start(options: PortForwardOptions): Promise<KubectlPortForward> {
    const kubectl = options.kubectl ?? "kubectl";
    const args = KubectlPortForward.argsFor(options);
    let child: Deno.ChildProcess;
    try {
      child = new Deno.Command(kubectl, {
        args,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
    } catch (cause) {
      throw new PortForwardError(
        `Cannot start "${kubectl} port-forward" to ${options.target} in "${options.namespace}"`,
        { cause },
      );
    }
    let output = "";
    let found: (port: number) => void = () => {};
    const port = new Promise<number>((resolve) => found = resolve);
    const read = async (stream: ReadableStream<Uint8Array>) => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) {
        // Keep the start of its output for errors; later lines (one per
        // connection) are read and dropped.
        if (output.length < 4096) output += text;
        const match = output.match(FORWARDING);
        if (match) found(Number(match[1]));
      }
    };
    const drained = Promise.all([read(child.stdout), read(child.stderr)]);
    const timeoutMs = options.timeoutMs ?? 20_000;
    let timeoutId: ReturnType<typeof setTimeout> | undefined;
    const outcome = await Promise.race([
      port,
      child.status.then((status) => status),
      new Promise<"timeout">((resolve) => {
        timeoutId = setTimeout(() => resolve("timeout"), timeoutMs);
      }),
    ]);
    clearTimeout(timeoutId);
    if (typeof outcome === "number") {
      return new KubectlPortForward(outcome, args, child, drained);
    }
    if (outcome === "timeout") {
      try {
        child.kill("SIGKILL");
      } catch { /* exited meanwhile */ }
    }
    await child.status;
    await drained.catch(() => {});
    throw new PortForwardError(
      `"${kubectl} ${args.join(" ")}" ${
        outcome === "timeout"
          ? `did not say where it listens within ${timeoutMs} ms`
          : `exited with code ${outcome.code}`
      }; its output:\n${output.trimEnd()}`,
    );
  }

  /** Stops kubectl (SIGTERM) and waits for it and its output. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      try {
        this.#child.kill("SIGTERM");
      } catch { /* already exited */ }
      await this.#child.status;
      await this.#drained.catch(() => {});
    })();
    return this.#closed;
  }

  /** {@linkcode KubectlPortForward.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
