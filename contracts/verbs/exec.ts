import { base64DecodedLength, isBase64 } from "../base64.ts";
import { PayloadError } from "../payload_error.ts";
import {
  describeValue,
  type JsonObject,
  jsonType,
  nonEmptyStringField,
  optionalBooleanField,
  optionalIntegerField,
  requestLabel,
  requestObject,
  stringField,
} from "../_shape.ts";
import { MAX_CONTAINER_NAME_LENGTH } from "./logs.ts";
import type { VerbSpec } from "./verb_spec.ts";

/**
 * Bound of `cmd`: the UTF-8 bytes of its elements plus one per element (as
 * `execve` counts them), at most 64 KiB.
 */
export const MAX_EXEC_CMD_BYTES = 65_536;
/** Bound of `env`: the UTF-8 bytes of every `NAME=value` plus one each, at most 64 KiB. */
export const MAX_EXEC_ENV_BYTES = 65_536;
/**
 * Most bytes `stdin` may decode to: 512 KiB, so that its base64 (about
 * 683 KiB) and the rest of the request stay under NATS's default 1 MiB
 * `max_payload`.
 */
export const MAX_EXEC_STDIN_BYTES = 524_288;
/** Longest `workdir`, in characters. */
export const MAX_EXEC_WORKDIR_LENGTH = 4096;
/** `limit_bytes` of an `exec` that does not say: 16 MiB. */
export const DEFAULT_EXEC_LIMIT_BYTES = 16 * 1024 * 1024;

/**
 * Body of an `exec` request: run `cmd` (an argv, no shell) in a container
 * or, with `host: true`, on the device. Exactly one of `container` and
 * `host: true`.
 */
export interface ExecRequest {
  /** Always `"exec"`. */
  verb: "exec";
  /** The container's name or id; absent for a host exec. */
  container?: string;
  /** `true`: run on the device itself (the agent's policy may forbid it). */
  host?: boolean;
  /** The argv: at least one element, the first not empty; no NUL; {@linkcode MAX_EXEC_CMD_BYTES} in all. */
  cmd: string[];
  /** Extra environment variables (names without `=` or NUL). */
  env?: Record<string, string>;
  /** Working directory: an absolute path. */
  workdir?: string;
  /** The command's stdin, base64 (RFC 4648, padded); at most {@linkcode MAX_EXEC_STDIN_BYTES} decoded. */
  stdin?: string;
  /** Stop (end `limit`) after this many bytes of output. Default {@linkcode DEFAULT_EXEC_LIMIT_BYTES}. */
  limit_bytes?: number;
}

const encoder = new TextEncoder();

/**
 * Decodes and checks an `exec` request body; unknown fields are dropped.
 *
 * @throws {PayloadError} naming the field and what was expected: `cmd`
 *   missing, not an array of strings, empty, with an empty `cmd[0]`, a
 *   NUL, or over {@linkcode MAX_EXEC_CMD_BYTES}; neither or both of
 *   `container` and `host: true`; `env` not an object of strings (or a bad
 *   name, or over {@linkcode MAX_EXEC_ENV_BYTES}); `workdir` not an
 *   absolute path; `stdin` not base64 or over
 *   {@linkcode MAX_EXEC_STDIN_BYTES}; `limit_bytes` not a positive
 *   integer; another `verb`.
 * @example
 * ```ts
 * import { decodeExecRequest, encodeJson } from "@harmony/fleet/contracts";
 * decodeExecRequest(encodeJson({ container: "web", cmd: ["sh", "-c", "exit 3"] }));
 * // { verb: "exec", container: "web", cmd: ["sh", "-c", "exit 3"] }
 * ```
 */
export function decodeExecRequest(data: Uint8Array): ExecRequest {
  const what = requestLabel("exec");
  const object = requestObject(data, "exec");
  const cmd = cmdField(object, what);
  const host = optionalBooleanField(object, "host", what);
  const hasContainer = object.container !== undefined &&
    object.container !== null;
  if (hasContainer === (host === true)) {
    throw new PayloadError(
      `${what} needs exactly one of field "container" or "host": true; got ${
        hasContainer ? "both" : "neither"
      }`,
    );
  }
  const request = { verb: "exec" } as ExecRequest;
  if (hasContainer) {
    request.container = nonEmptyStringField(
      object,
      "container",
      what,
      MAX_CONTAINER_NAME_LENGTH,
    );
  }
  if (host !== undefined) request.host = host;
  request.cmd = cmd;
  const env = envField(object, what);
  if (env !== undefined) request.env = env;
  if (object.workdir !== undefined && object.workdir !== null) {
    const workdir = nonEmptyStringField(
      object,
      "workdir",
      what,
      MAX_EXEC_WORKDIR_LENGTH,
    );
    if (!workdir.startsWith("/")) {
      throw new PayloadError(
        `${what} field "workdir" must be an absolute path, got ${
          describeValue(workdir)
        }`,
      );
    }
    noNul(workdir, "workdir", what);
    request.workdir = workdir;
  }
  if (object.stdin !== undefined && object.stdin !== null) {
    request.stdin = stdinField(object, what);
  }
  const limit = optionalIntegerField(object, "limit_bytes", what, 1);
  if (limit !== undefined) request.limit_bytes = limit;
  return request;
}

function cmdField(object: JsonObject, what: string): string[] {
  const value = object.cmd;
  if (!Array.isArray(value)) {
    throw new PayloadError(
      `${what} field "cmd" must be an array of strings, got ${
        describeValue(value)
      }`,
    );
  }
  if (value.length === 0) {
    throw new PayloadError(
      `${what} field "cmd" must not be empty: it is the argv, e.g. ["ls", "-l"]`,
    );
  }
  let bytes = 0;
  for (let i = 0; i < value.length; i++) {
    const arg = value[i];
    if (typeof arg !== "string") {
      throw new PayloadError(
        `${what} field "cmd[${i}]" must be a string, got ${jsonType(arg)}`,
      );
    }
    if (i === 0 && arg.length === 0) {
      throw new PayloadError(`${what} field "cmd[0]" must not be empty`);
    }
    noNul(arg, `cmd[${i}]`, what);
    bytes += utf8Length(arg) + 1;
  }
  if (bytes > MAX_EXEC_CMD_BYTES) tooBig("cmd", bytes, what);
  return value as string[];
}

function envField(
  object: JsonObject,
  what: string,
): Record<string, string> | undefined {
  const value = object.env;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new PayloadError(
      `${what} field "env" must be an object of strings, got ${
        describeValue(value)
      }`,
    );
  }
  const env: Record<string, string> = {};
  let bytes = 0;
  for (const [name, text] of Object.entries(value)) {
    if (name.length === 0 || name.includes("=") || name.includes("\0")) {
      throw new PayloadError(
        `${what} field "env" has an invalid name ${
          JSON.stringify(name)
        }: it must not be empty or contain "=" or NUL`,
      );
    }
    if (typeof text !== "string") {
      throw new PayloadError(
        `${what} field "env.${name}" must be a string, got ${jsonType(text)}`,
      );
    }
    noNul(text, `env.${name}`, what);
    bytes += utf8Length(name) + 1 + utf8Length(text) + 1;
    if (bytes > MAX_EXEC_ENV_BYTES) {
      throw new PayloadError(
        `${what} field "env" must total at most ${MAX_EXEC_ENV_BYTES} bytes (UTF-8 "NAME=value", plus one per variable)`,
      );
    }
    env[name] = text;
  }
  return env;
}

function stdinField(object: JsonObject, what: string): string {
  const text = stringField(object, "stdin", what);
  if (!isBase64(text)) {
    throw new PayloadError(
      `${what} field "stdin" must be base64 (RFC 4648, with padding), got ${
        describeValue(text)
      }`,
    );
  }
  const length = base64DecodedLength(text);
  if (length > MAX_EXEC_STDIN_BYTES) {
    throw new PayloadError(
      `${what} field "stdin" must decode to at most ${MAX_EXEC_STDIN_BYTES} bytes, got ${length}`,
    );
  }
  return text;
}

function noNul(text: string, field: string, what: string): void {
  if (text.includes("\0")) {
    throw new PayloadError(
      `${what} field "${field}" must not contain a NUL character`,
    );
  }
}

function tooBig(field: string, bytes: number, what: string): never {
  throw new PayloadError(
    `${what} field "${field}" must total at most ${MAX_EXEC_CMD_BYTES} bytes (UTF-8, plus one per element), got ${bytes}`,
  );
}

function utf8Length(text: string): number {
  // Cheap for ASCII, exact otherwise.
  // deno-lint-ignore no-control-regex
  return /^[\x00-\x7f]*$/.test(text)
    ? text.length
    : encoder.encode(text).length;
}

/**
 * `exec`: a stream of a command's stdout and stderr, then its exit code.
 *
 * @example
 * ```ts
 * import { execVerb } from "@harmony/fleet/contracts";
 * execVerb.stream?.lines; // false: binary output, not cut at line ends
 * ```
 */
export const execVerb: VerbSpec<"exec", ExecRequest> = {
  name: "exec",
  publishable: false,
  decodeRequest: decodeExecRequest,
  stream: {
    follows: () => false,
    limitBytes: (request) => request.limit_bytes ?? DEFAULT_EXEC_LIMIT_BYTES,
    lines: false,
  },
};
