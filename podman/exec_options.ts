/**
 * The options of an exec and the body of libpod's exec create. Pure.
 *
 * @module
 */

/** Options of {@linkcode PodmanClient.exec}. */
export interface ExecOptions {
  /** The command: argv, run directly (no shell). Not empty. */
  cmd: readonly string[];
  /** Environment variables added to the container's. @default {{}} */
  env?: Record<string, string>;
  /** Working directory in the container. @default {the container's} */
  workdir?: string;
  /**
   * Bytes sent to the command's stdin, which is then closed. Without it the
   * command's stdin is empty.
   *
   * @default {no stdin}
   */
  stdin?: Uint8Array;
  /**
   * Only a container with this label (`key=value` or `key`) is found; any
   * other is "not found" for this caller.
   *
   * @default {any container}
   */
  label?: string;
  /** Kills the command (and ends its output) when aborted. */
  signal?: AbortSignal;
}

/** The JSON body of `POST /libpod/containers/{name}/exec`. */
export interface ExecCreateBody {
  /** argv. */
  Cmd: string[];
  /** `KEY=value` strings. */
  Env: string[];
  /** Working directory, when given. */
  WorkingDir?: string;
  /** Whether stdin is attached. */
  AttachStdin: boolean;
  /** Always true. */
  AttachStdout: true;
  /** Always true. */
  AttachStderr: true;
  /** Always false: output is multiplexed. */
  Tty: false;
}

const MAX_ARGS = 4096;

/**
 * Checks `options` and builds the exec create body.
 *
 * @throws {TypeError} for an empty `cmd`, a non-string argument, an
 * argument or env entry with a NUL byte, an env name that is empty or has
 * `=`, or an empty `workdir`.
 * @throws {RangeError} for more than 4096 arguments.
 * @example
 * ```ts
 * import { execCreateBody } from "./exec_options.ts";
 * execCreateBody({ cmd: ["sh", "-c", "echo $X"], env: { X: "1" } }).Env; // ["X=1"]
 * ```
 */
export function execCreateBody(options: ExecOptions): ExecCreateBody {
  const { cmd, env = {}, workdir } = options;
  if (!Array.isArray(cmd) || cmd.length === 0) {
    throw new TypeError(
      "Invalid exec option cmd: expected a non-empty array of strings",
    );
  }
  if (cmd.length > MAX_ARGS) {
    throw new RangeError(
      `Invalid exec option cmd: ${cmd.length} arguments, at most ${MAX_ARGS}`,
    );
  }
  cmd.forEach((arg, index) => {
    if (typeof arg !== "string" || arg.includes("\0")) {
      throw new TypeError(
        `Invalid exec option cmd[${index}]: expected a string without NUL bytes`,
      );
    }
  });
  if (cmd[0] === "") {
    throw new TypeError("Invalid exec option cmd[0]: the program is empty");
  }
  const envList = Object.entries(env).map(([name, value]) => {
    if (name === "" || name.includes("=") || name.includes("\0")) {
      throw new TypeError(
        `Invalid exec option env: name ${
          JSON.stringify(name)
        } is empty or has "=" or NUL`,
      );
    }
    if (typeof value !== "string" || value.includes("\0")) {
      throw new TypeError(
        `Invalid exec option env: the value of ${name} is not a string without NUL bytes`,
      );
    }
    return `${name}=${value}`;
  });
  if (
    workdir !== undefined && (typeof workdir !== "string" || workdir === "")
  ) {
    throw new TypeError(
      "Invalid exec option workdir: expected a non-empty path",
    );
  }
  return {
    Cmd: [...cmd],
    Env: envList,
    ...(workdir === undefined ? {} : { WorkingDir: workdir }),
    AttachStdin: options.stdin !== undefined,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  };
}
