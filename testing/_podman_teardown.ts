/**
 * Removes what a stopped podman service leaves behind: its containers, the
 * conmon processes of exec sessions (they linger five minutes), mounts
 * under its dir, and the dir. Private to `testing/`.
 */
import type { PodmanRun } from "./_podman_cli.ts";
import { mountsUnder } from "./_mounts.ts";
import { commandLine, processAlive, processesMentioning } from "./processes.ts";

const SETTLE_MS = 10_000;
const KILL_WAIT_MS = 5_000;
const POLL_MS = 20;

/**
 * Removes everything of the service in `dir`; `podman` runs a podman
 * command on its storage. Returns the problems it could not fix (empty
 * when nothing is left).
 */
export async function removeLeftovers(
  dir: string,
  podman: (args: string[]) => Promise<PodmanRun>,
): Promise<string[]> {
  const problems: string[] = [];
  // Every process of the service names a path under the dir.
  const mention = `${dir}/`;
  const removed = await podman(["rm", "--all", "--force", "--time", "0"]);
  if (removed.code !== 0) {
    problems.push(
      `"podman rm --all --force" exited with code ${removed.code}: ${
        new TextDecoder().decode(removed.stderr).trim()
      }`,
    );
  }
  // Exec sessions' conmons wait out their exit delay: end them now.
  for (const pid of processesMentioning(mention)) {
    if (commandLine(pid).includes("--exit-delay")) kill(pid);
  }
  // Container conmons and their cleanup commands finish by themselves.
  await waitUntilGone(mention, SETTLE_MS);
  for (const pid of processesMentioning(mention)) kill(pid);
  const stuck = await waitUntilGone(mention, KILL_WAIT_MS);
  if (stuck.length > 0) {
    problems.push(
      `processes still running: ${
        stuck.map((pid) => `${pid} (${commandLine(pid).slice(0, 120)})`).join(
          ", ",
        )
      }`,
    );
  }
  problems.push(...await unmountAll(dir));
  try {
    await Deno.remove(dir, { recursive: true });
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      problems.push(`cannot remove "${dir}": ${(error as Error).message}`);
    }
  }
  return problems;
}

/** Waits until no process mentions `text`; returns the pids still there at the deadline. */
async function waitUntilGone(
  text: string,
  timeoutMs: number,
): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  while (true) {
    const pids = processesMentioning(text);
    if (pids.length === 0 || Date.now() > deadline) return pids;
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function unmountAll(dir: string): Promise<string[]> {
  const problems: string[] = [];
  for (const path of mountsUnder(dir)) {
    const plain = await umount([path]);
    if (plain.success) continue;
    const lazy = await umount(["--lazy", path]);
    if (!lazy.success) {
      problems.push(
        `cannot unmount "${path}": ${
          new TextDecoder().decode(lazy.stderr).trim()
        }`,
      );
    }
  }
  return problems;
}

function umount(args: string[]): Promise<Deno.CommandOutput> {
  return new Deno.Command("umount", {
    args,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
}

function kill(pid: number): void {
  if (!processAlive(pid)) return;
  try {
    Deno.kill(pid, "SIGKILL");
  } catch {
    // Exited meanwhile.
  }
}
