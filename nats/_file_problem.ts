// Why a file could not be read, in the words every error message of nats/
// uses. Private to nats/.

/** `"the file does not exist"`, `"it is a directory"`, … for a failed read. */
export function fileReadProblem(cause: unknown): string {
  if (cause instanceof Deno.errors.NotFound) return "the file does not exist";
  if (cause instanceof Deno.errors.IsADirectory) return "it is a directory";
  if (cause instanceof Deno.errors.PermissionDenied) {
    return "permission denied reading the file";
  }
  return `cannot read the file: ${
    cause instanceof Error ? cause.message : String(cause)
  }`;
}
