import { RegistryError } from "../registry_errors.ts";
import type { CliWriter } from "./writer.ts";

/** Exit code of `fleet devices` and `fleet registry init` when the registry failed. */
export const REGISTRY_FAILED_EXIT_CODE = 1;

/** What `--json` prints for a {@linkcode RegistryError}. */
export interface RegistryErrorJson {
  /** The failure. */
  error: {
    /** Always `registry`. */
    type: "registry";
    /** `not_found`, `jetstream_disabled`, `forbidden`, `timeout`, `mismatch` or `failed`. */
    reason: string;
    /** The registry stream. */
    stream: string;
    /** What went wrong, as the `error:` line says it. */
    message: string;
    /** 1. */
    exit_code: number;
  };
}

/**
 * Reports `error` when it is a {@linkcode RegistryError}: one `error: …`
 * line on stderr and, with `json`, one {@linkcode RegistryErrorJson} line
 * on stdout; returns 1. Anything else is rethrown for the CLI's own
 * reporting (usage 2, connection 3, bug 4).
 *
 * @example
 * ```ts ignore
 * import { reportRegistryFailure } from "./registry_failure.ts";
 * try { … } catch (error) { return reportRegistryFailure(error, { stdout, stderr, json }); }
 * ```
 */
export function reportRegistryFailure(
  error: unknown,
  options: { stdout: CliWriter; stderr: CliWriter; json?: boolean },
): number {
  if (!(error instanceof RegistryError)) throw error;
  options.stderr.write(`error: ${error.message}\n`);
  if (options.json) {
    const body: RegistryErrorJson = {
      error: {
        type: "registry",
        reason: error.reason,
        stream: error.stream,
        message: error.message,
        exit_code: REGISTRY_FAILED_EXIT_CODE,
      },
    };
    options.stdout.write(`${JSON.stringify(body)}\n`);
  }
  return REGISTRY_FAILED_EXIT_CODE;
}
