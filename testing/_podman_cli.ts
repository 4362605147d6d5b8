/**
 * Runs the `podman` CLI and collects its output. Private to `testing/`.
 */

/** The outcome of one `podman` command. */
export interface PodmanRun {
  /** Its exit code. */
  code: number;
  /** What it wrote to stdout, byte for byte. */
  stdout: Uint8Array;
  /** What it wrote to stderr, byte for byte. */
  stderr: Uint8Array;
}

/** Runs `podman args…` with `env` added to this process's environment. */
export async function runPodman(
  podman: string,
  args: readonly string[],
  options: { env?: Record<string, string>; stdin?: Uint8Array } = {},
): Promise<PodmanRun> {
  const child = new Deno.Command(podman, {
    args: [...args],
    env: options.env,
    stdin: options.stdin ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin) {
    const writer = child.stdin.getWriter();
    await writer.write(options.stdin).catch(() => {});
    await writer.close().catch(() => {});
  }
  const output = await child.output();
  return { code: output.code, stdout: output.stdout, stderr: output.stderr };
}

/** `args` with the values of `--env NAME=VALUE` replaced by `***`, for messages. */
export function redactEnv(args: readonly string[]): string[] {
  return args.map((arg, index) =>
    args[index - 1] === "--env" ? arg.replace(/=.*/s, "=***") : arg
  );
}
