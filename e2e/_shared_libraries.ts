// The shared libraries a dynamically linked binary loads, dynamic loader
// included, as `ldd` lists them: what a FROM scratch image must hold for the
// binary to start. Private to e2e/.

/** Thrown when the libraries of a binary cannot be listed. */
export class SharedLibrariesError extends Error {
  /** The binary whose libraries were asked for. */
  readonly binary: string;

  /** Builds the error; `problem` completes "Cannot list the shared libraries of "<binary>": …". */
  constructor(binary: string, problem: string, options?: ErrorOptions) {
    super(
      `Cannot list the shared libraries of ${
        JSON.stringify(binary)
      }: ${problem}`,
      options,
    );
    this.name = "SharedLibrariesError";
    this.binary = binary;
  }
}

/**
 * The absolute paths in `ldd`'s output for `binary`, in its order: each
 * `name => /path (address)` and the loader's `/path (address)`. The vDSO
 * (no path) is left out; a library `not found` throws.
 */
export function parseLddOutput(binary: string, text: string): string[] {
  const paths: string[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (
      line === "" || /^(statically linked|not a dynamic executable)$/.test(line)
    ) {
      continue;
    }
    const arrow = line.match(/^(\S+) => (.*)$/);
    const target = (arrow ? arrow[2] : line).replace(/\s*\(0x[0-9a-f]+\)$/, "");
    if (arrow && target === "not found") {
      throw new SharedLibrariesError(
        binary,
        `the library ${JSON.stringify(arrow[1])} is not found`,
      );
    }
    if (target.startsWith("/")) paths.push(target);
    else if (!arrow && !/^linux-(vdso|gate)\.so/.test(target)) {
      throw new SharedLibrariesError(
        binary,
        `cannot read the "ldd" line ${JSON.stringify(raw)}`,
      );
    }
  }
  return paths;
}

/**
 * Runs `ldd binary` and returns the libraries it lists (see
 * {@linkcode parseLddOutput}); `[]` for a statically linked binary.
 */
export async function sharedLibraries(
  binary: string,
  options: { ldd?: string } = {},
): Promise<string[]> {
  const ldd = options.ldd ?? "ldd";
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(ldd, {
      args: [binary],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { LC_ALL: "C" },
    }).output();
  } catch (cause) {
    throw new SharedLibrariesError(
      binary,
      `cannot run ${JSON.stringify(ldd)} (install libc-bin): ${
        (cause as Error).message
      }`,
      { cause },
    );
  }
  const stdout = new TextDecoder().decode(output.stdout);
  const stderr = new TextDecoder().decode(output.stderr).trim();
  if (!output.success) {
    if (/not a dynamic executable/.test(stdout + stderr)) return [];
    throw new SharedLibrariesError(
      binary,
      `"${ldd}" exited with code ${output.code}: ${stderr.slice(-500)}`,
    );
  }
  return parseLddOutput(binary, stdout);
}
