/**
 * The `k3d` CLI as the `k3d` backend uses it: find or create a cluster,
 * import image archives. Private to `e2e/`.
 */

/** The shared cluster of the e2e stacks. */
export const K3D_CLUSTER = "fleet-e2e";

/** Thrown when a k3d command fails; carries its output. */
export class K3dError extends Error {
  /** The arguments of the failed command. */
  readonly args: readonly string[];

  /** Builds the error. */
  constructor(
    args: readonly string[],
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = "K3dError";
    this.args = args;
  }
}

/** `k3d` subprocesses. */
export class K3dCli {
  /** The binary. */
  readonly bin: string;

  /** @param bin the k3d binary; `"k3d"` finds it on PATH. */
  constructor(bin = "k3d") {
    this.bin = bin;
  }

  /** Runs `k3d <args>`; resolves with stdout, throws {@linkcode K3dError}. */
  async run(args: readonly string[]): Promise<string> {
    let output: Deno.CommandOutput;
    try {
      output = await spawnRetryingBusy(() =>
        new Deno.Command(this.bin, {
          args: [...args],
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).output()
      );
    } catch (cause) {
      throw new K3dError(
        args,
        `Cannot run "${this.bin} ${args.join(" ")}": ${
          cause instanceof Deno.errors.NotFound
            ? "k3d is not installed (https://k3d.io)"
            : (cause as Error).message
        }`,
        { cause },
      );
    }
    const decoder = new TextDecoder();
    if (!output.success) {
      throw new K3dError(
        args,
        `"${this.bin} ${args.join(" ")}" exited with code ${output.code}: ${
          decoder.decode(output.stderr).trim().slice(-2000)
        }`,
      );
    }
    return decoder.decode(output.stdout);
  }

  /** The names of the clusters (`k3d cluster list -o json`). */
  async clusters(): Promise<string[]> {
    const args = ["cluster", "list", "-o", "json"];
    const text = await this.run(args);
    try {
      const list = JSON.parse(text) as { name?: unknown }[];
      return list.map((cluster) => String(cluster.name));
    } catch (cause) {
      throw new K3dError(
        args,
        `"${this.bin} ${args.join(" ")}" printed no JSON list: ${
          text.slice(0, 200)
        }`,
        { cause },
      );
    }
  }

  /**
   * Finds cluster `name`, or creates it (`k3d cluster create <name> --wait`;
   * k3d adds its context `k3d-<name>` to the default kubeconfig). Resolves
   * with whether it was created.
   */
  async ensureCluster(name: string): Promise<boolean> {
    if ((await this.clusters()).includes(name)) return false;
    await this.run([
      "cluster",
      "create",
      name,
      "--wait",
      "--timeout",
      "180s",
      "--kubeconfig-update-default",
      "--kubeconfig-switch-context=false",
    ]);
    return true;
  }

  /** `k3d image import --cluster <cluster> <archives…>`. */
  async importImages(
    cluster: string,
    archives: readonly string[],
  ): Promise<void> {
    await this.run(["image", "import", "--cluster", cluster, ...archives]);
  }
}

/** The kubeconfig context k3d makes for cluster `name`: `k3d-<name>`. */
export function k3dContext(name: string): string {
  return `k3d-${name}`;
}

/**
 * Runs `spawn`, again up to twice when exec says "Text file busy": a binary
 * just written (a fresh install, or a test's stand-in) is busy while a
 * process forked meanwhile still holds it open for writing.
 */
async function spawnRetryingBusy<T>(spawn: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await spawn();
    } catch (error) {
      const busy = error instanceof Error &&
        /Text file busy|os error 26/.test(error.message);
      if (!busy || attempt === 3) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}
