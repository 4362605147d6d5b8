import type { ExecOutput } from "../errors.ts";
import type { ExecResult } from "../exec.ts";

/** How `--json` carries output bytes: as text when they are UTF-8, else base64. */
export type OutputEncoding = "utf-8" | "base64";

/** The output fields of `fleet exec --json`. */
export interface OutputJson {
  /** The command's stdout: text, or base64 (see `stdout_encoding`). */
  stdout: string;
  /** `utf-8` when `stdout` is the text itself, `base64` when it was not valid UTF-8. */
  stdout_encoding: OutputEncoding;
  /** The command's stderr: text, or base64 (see `stderr_encoding`). */
  stderr: string;
  /** `utf-8` or `base64`, as `stdout_encoding`. */
  stderr_encoding: OutputEncoding;
}

/** What `fleet exec --json` prints when it has a result. */
export interface ExecResultJson extends OutputJson {
  /** The command's exit code; `null` when `truncated` and the agent sent none. */
  exit_code: number | null;
  /** Whether the output was cut at `--limit-bytes` (the command was stopped). */
  truncated: boolean;
}

const strict = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * Bytes as `--json` carries them: the text when they are valid UTF-8,
 * else base64.
 *
 * @example
 * ```ts
 * import { encodeOutput } from "./exec_json.ts";
 * encodeOutput(new Uint8Array([104, 105])); // { text: "hi", encoding: "utf-8" }
 * encodeOutput(new Uint8Array([0xff])); // { text: "/w==", encoding: "base64" }
 * ```
 */
export function encodeOutput(
  bytes: Uint8Array,
): { text: string; encoding: OutputEncoding } {
  try {
    return { text: strict.decode(bytes), encoding: "utf-8" };
  } catch {
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }
    return { text: btoa(binary), encoding: "base64" };
  }
}

/**
 * The output fields of `--json` for `output`.
 *
 * @example
 * ```ts
 * import { outputJson } from "./exec_json.ts";
 * outputJson({ stdout: new Uint8Array([104, 105]), stderr: new Uint8Array() }).stdout; // "hi"
 * ```
 */
export function outputJson(output: ExecOutput): OutputJson {
  const stdout = encodeOutput(output.stdout);
  const stderr = encodeOutput(output.stderr);
  return {
    stdout: stdout.text,
    stdout_encoding: stdout.encoding,
    stderr: stderr.text,
    stderr_encoding: stderr.encoding,
  };
}

/**
 * What `fleet exec --json` prints for `result`:
 * `{exit_code, stdout, stdout_encoding, stderr, stderr_encoding, truncated}`.
 *
 * @example
 * ```ts
 * import { execResultJson } from "./exec_json.ts";
 * const empty = new Uint8Array();
 * execResultJson({ exitCode: 3, stdout: empty, stderr: empty, truncated: false }).exit_code; // 3
 * ```
 */
export function execResultJson(result: ExecResult): ExecResultJson {
  return {
    exit_code: result.exitCode ?? null,
    ...outputJson(result),
    truncated: result.truncated,
  };
}
