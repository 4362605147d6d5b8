// Temp dirs for tests, and checks that nothing was left behind.

/** A temp dir (`<prefix>…`), removed with everything in it on dispose. */
export async function tempDir(
  prefix = "fleet-test-",
): Promise<AsyncDisposable & { path: string }> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
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
