/** Helpers shared by the e2e tests. Private to `e2e/`. */

/** Whether a process with `pid` exists (and is not a zombie). */
export function processAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Pids of the processes whose command line contains `text`, this one excluded. */
export function processesMentioning(text: string): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync("/proc")) {
    const pid = Number(entry.name);
    if (!Number.isInteger(pid) || pid === Deno.pid) continue;
    try {
      const cmdline = Deno.readTextFileSync(`/proc/${pid}/cmdline`);
      if (cmdline.includes(text) && processAlive(pid)) pids.push(pid);
    } catch {
      // Exited meanwhile.
    }
  }
  return pids;
}

/** Entries of the temp dir whose names start with `prefix`. */
export function tempEntries(prefix: string): string[] {
  const tmp = Deno.env.get("TMPDIR") || "/tmp";
  return [...Deno.readDirSync(tmp)]
    .map((entry) => entry.name)
    .filter((name) => name.startsWith(prefix));
}

/** Whether `path` exists. */
export function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}
