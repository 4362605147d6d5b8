/**
 * What a podman service may leave on the host: processes that mention its
 * directory and mounts under it. Private to `testing/`.
 */

/** Whether a process with `pid` exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/** Pids of live processes whose command line contains `text`, this one excluded. */
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

/** The command line of `pid`, arguments joined by spaces; "" once it is gone. */
export function commandLine(pid: number): string {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").join(" ")
      .trim();
  } catch {
    return "";
  }
}

/** Mount points at or under `dir` in this mount namespace, deepest first. */
export function mountsUnder(dir: string): string[] {
  const prefix = dir.endsWith("/") ? dir : `${dir}/`;
  const mounts = Deno.readTextFileSync("/proc/self/mountinfo")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => unescapeMountPath(line.split(" ")[4]))
    .filter((path) => path === dir || path.startsWith(prefix));
  return [...new Set(mounts)].sort((a, b) => b.length - a.length);
}

/** Undoes the octal escapes (`\040` for a space, …) of `/proc/*\/mountinfo`. */
function unescapeMountPath(path: string): string {
  return path.replace(
    /\\([0-7]{3})/g,
    (_, octal: string) => String.fromCharCode(parseInt(octal, 8)),
  );
}
