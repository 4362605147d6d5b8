// Starts bench/_fleet_sim_main.ts as a child process and waits until its
// fleet is up. Private to bench/.
import type { FleetSimOptions } from "./fleet_sim.ts";

/** A simulated fleet in a child process. */
export interface FleetSimProcess extends AsyncDisposable {
  /** The child's process id (for its RSS). */
  pid: number;
  /** How many devices run. */
  running: number;
  /** The offline devices, in index order. */
  offline: string[];
  /** The slow devices, in index order. */
  slow: string[];
}

/** Starts a simulated fleet in a child process; resolves once it is up. */
export async function startFleetSimProcess(
  options: FleetSimOptions,
  connection: { url: string; user: string; password: string },
): Promise<FleetSimProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      new URL("../deno.json", import.meta.url).pathname,
      new URL("./_fleet_sim_main.ts", import.meta.url).pathname,
      JSON.stringify(options),
    ],
    env: {
      NATS_URL: connection.url,
      NATS_USER: connection.user,
      NATS_PASSWORD: connection.password,
    },
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let output = "";
  while (!output.includes("\n")) {
    const { value, done } = await reader.read();
    if (done) {
      await child.stdin.close().catch(() => {});
      await child.status;
      throw new Error("The simulated fleet exited before it was ready");
    }
    output += value;
  }
  reader.releaseLock();
  const ready = JSON.parse(output.slice(0, output.indexOf("\n")));
  return {
    pid: child.pid,
    running: ready.running,
    offline: ready.offline,
    slow: ready.slow,
    async [Symbol.asyncDispose]() {
      await child.stdin.close().catch(() => {});
      await child.stdout.cancel().catch(() => {});
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      await child.status;
      clearTimeout(timer);
    },
  };
}
