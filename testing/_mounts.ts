/**
 * Mounts a podman service may leave on the host. Private to `testing/`.
 */

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
