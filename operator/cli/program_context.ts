import type { CliConnectionFlags } from "./connection.ts";
import type { EnvReader } from "./settings.ts";
import type { CliWriter } from "./writer.ts";

/** The flags every command has, as commander hands them over. */
export interface GlobalFlags extends CliConnectionFlags {
  /** `--timeout`, in whole milliseconds. */
  timeout: number;
  /** `--json`. */
  json?: boolean;
}

/**
 * What each command of the CLI gets from `runCli`: its outputs and
 * inputs, and where to leave its exit code.
 */
export interface ProgramContext {
  /** Where results go. */
  stdout: CliWriter;
  /** Where errors go. */
  stderr: CliWriter;
  /** Reads the environment (`NATS_*`, `HOME`, `XDG_CONFIG_HOME`). */
  getEnv: EnvReader;
  /** Records the command's exit code. */
  done: (code: number) => void;
  /** What `fleet exec -i` reads, opened when first needed. */
  stdin: () => ReadableStream<Uint8Array>;
  /**
   * Aborting it is Ctrl-C for `logs` and `exec` (reason `"SIGTERM"`:
   * SIGTERM); `undefined`: they listen for SIGINT and SIGTERM themselves.
   */
  interrupt?: AbortSignal;
  /** `fleet exec`: the arguments after `--`, or `undefined` when there was no `--`. */
  command?: string[];
}
