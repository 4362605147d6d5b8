// The [runtime] and [exec] tables of the agent config: read and checked.
// Private to agent/; the types are exported by config.ts.
import { dirname, isAbsolute, resolve } from "node:path";
import { describe, type Fail, type Table } from "./_config_values.ts";

/** The `[runtime]` table: where podman is and which containers are visible. */
export interface AgentRuntimeConfig {
  /**
   * The podman API socket, an absolute path: `[runtime] socket`. Absent:
   * `CONTAINER_HOST`, then the standard paths (see `podmanSocketCandidates`).
   */
  socket?: string;
  /**
   * `[runtime] container_label`, `key=value` or `key`: only containers with
   * this label are visible to `logs` and `exec` (any other is `not_found`).
   * Absent: every container is.
   */
  containerLabel?: string;
}

/** The `[exec]` table: the agent's exec policy. */
export interface AgentExecConfig {
  /** Whether `exec` in a container is allowed: `[exec] enabled`, default `true`. */
  enabled: boolean;
  /** Whether `exec` with `host: true` is allowed: `[exec] allow_host`, default `false`. */
  allowHost: boolean;
}

const SOCKET_EXPECTED = "a unix socket path or a unix:// URL";
const LABEL_EXPECTED = 'a label "key=value" or "key"';

/** Reads the `[runtime]` table (absent: `{}`); `path` is the config file's. */
export function runtimeConfig(
  table: Table | undefined,
  path: string,
  fail: Fail,
): AgentRuntimeConfig {
  const config: AgentRuntimeConfig = {};
  if (table === undefined) return config;
  if (table.socket !== undefined) {
    config.socket = socketPath(table.socket, path, fail);
  }
  const label = table.container_label;
  if (label !== undefined) {
    if (
      typeof label !== "string" || label === "" || label.startsWith("=") ||
      // deno-lint-ignore no-control-regex
      /[\x00-\x1f\x7f]/.test(label)
    ) {
      fail(
        `key "runtime.container_label" must be ${LABEL_EXPECTED}, got ${
          describe(label)
        }`,
        "runtime.container_label",
      );
    }
    config.containerLabel = label;
  }
  return config;
}

/** Reads the `[exec]` table (absent: the defaults). */
export function execConfig(
  table: Table | undefined,
  fail: Fail,
): AgentExecConfig {
  return {
    enabled: flag(table?.enabled, "exec.enabled", true, fail),
    allowHost: flag(table?.allow_host, "exec.allow_host", false, fail),
  };
}

function socketPath(value: unknown, path: string, fail: Fail): string {
  const bad = (detail = "") =>
    fail(
      `key "runtime.socket" must be ${SOCKET_EXPECTED}${detail}, got ${
        describe(value)
      }`,
      "runtime.socket",
    );
  if (typeof value !== "string" || value === "") return bad();
  let socket = value;
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(value)?.[1];
  if (scheme !== undefined) {
    if (scheme !== "unix") {
      return bad(` (only unix:// is supported, not ${scheme}://)`);
    }
    socket = value.slice("unix://".length);
    if (!socket.startsWith("/")) return bad();
  }
  return isAbsolute(socket) ? socket : resolve(dirname(path), socket);
}

function flag(
  value: unknown,
  key: string,
  fallback: boolean,
  fail: Fail,
): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") {
    fail(`key "${key}" must be true or false, got ${describe(value)}`, key);
  }
  return value as boolean;
}
