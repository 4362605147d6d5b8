/**
 * What `deno task up` runs besides the stack: whether its agents get podman
 * (when podman, runc and busybox-static are there, unless `--no-podman`) and
 * the workload container it starts for each device, so that `fleet logs`
 * and `fleet exec` have something to reach. Private to `e2e/`.
 */
import type { PodmanAvailability } from "../testing/podman_available.ts";
import type { StartContainerOptions } from "./_stack_podman.ts";

const USAGE = "usage: deno task up [--no-podman]";

/** Thrown for an argument `deno task up` does not take (exit 2). */
export class UpUsageError extends TypeError {
  /** @param argument the argument, as given */
  constructor(argument: string) {
    super(
      `Cannot run deno task up: unknown argument ${
        JSON.stringify(argument)
      }; ${USAGE}`,
    );
    this.name = "UpUsageError";
  }
}

/** The arguments of `deno task up`. */
export interface UpArgs {
  /** Whether to give the agents podman when it is there. */
  podman: boolean;
}

/** Parses `deno task up`'s arguments: none, or `--no-podman`. */
export function parseUpArgs(args: readonly string[]): UpArgs {
  let podman = true;
  for (const argument of args) {
    if (argument !== "--no-podman") throw new UpUsageError(argument);
    podman = false;
  }
  return { podman };
}

/** What was found on this machine. */
export interface UpFound {
  podman: PodmanAvailability;
  /** Whether `/bin/busybox` (Debian's busybox-static) is there. */
  busybox: boolean;
}

/** The runtime of the stack, and why not podman when not. */
export interface UpRuntime {
  runtime: "podman" | "disabled";
  /** One line for the terminal when it runs without podman. */
  note?: string;
}

/** Chooses the stack's runtime. */
export function upWorkloadRuntime(args: UpArgs, found: UpFound): UpRuntime {
  if (!args.podman) {
    return {
      runtime: "disabled",
      note:
        "--no-podman: agents run without a container runtime (fleet logs and exec answer unsupported).",
    };
  }
  const missing = !found.podman.ok
    ? found.podman.reason
    : !found.busybox
    ? "/bin/busybox is missing"
    : undefined;
  if (missing === undefined) return { runtime: "podman" };
  return {
    runtime: "disabled",
    note:
      `${missing}: agents run without a container runtime; for fleet logs and exec install podman, runc and busybox-static (Debian: apt-get install podman runc busybox-static).`,
  };
}

// A web server's access log, roughly: a line a second on stdout, a warning
// every fifth on stderr.
const WORKLOAD_SCRIPT = [
  "i=0",
  "while true; do",
  '  i=$((i + 1)); echo "$(date -u +%H:%M:%S) GET /status 200 ($DEVICE, request $i)"',
  '  [ $((i % 5)) -eq 0 ] && echo "$(date -u +%H:%M:%S) warn: $i requests so far" >&2',
  "  sleep 1",
  "done",
].join("\n");

/** The workload container of the `index`th device: `web-00`, `web-01`, … */
export function upWorkload(
  deviceId: string,
  index: number,
): StartContainerOptions & { env: Record<string, string> } {
  return {
    name: `web-${String(index).padStart(2, "0")}`,
    cmd: ["sh", "-c", WORKLOAD_SCRIPT],
    env: { DEVICE: deviceId },
  };
}
