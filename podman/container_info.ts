/**
 * What the client reports about a container (a typed subset of podman's
 * inspect answer), and the label filter. Pure.
 *
 * @module
 */

/** A container, as {@linkcode PodmanClient.inspectContainer} reports it. */
export interface ContainerInfo {
  /** The full container id (64 hex digits). */
  id: string;
  /** Its name, without a leading `/`. */
  name: string;
  /** The image it was created from, as named (`localhost/web:1`). */
  image: string;
  /** Its labels. */
  labels: Record<string, string>;
  /** Whether it has a TTY (its log and exec streams are then not multiplexed). */
  tty: boolean;
  /** Its state. */
  state: ContainerState;
}

/** The state part of {@linkcode ContainerInfo}. */
export interface ContainerState {
  /** `created`, `running`, `paused`, `exited`, … as podman says. */
  status: string;
  /** Whether it is running (paused counts as running). */
  running: boolean;
  /** Whether it is paused. */
  paused: boolean;
  /** Its host pid while running, else 0. */
  pid: number;
  /** The exit code of its last run. */
  exitCode: number;
  /** When it last started (RFC 3339), if ever. */
  startedAt?: string;
  /** When it last exited (RFC 3339), if ever. */
  finishedAt?: string;
}

/**
 * Reads podman's container inspect JSON; `undefined` if its shape is not
 * one (no `Id`, no `State`).
 *
 * @example
 * ```ts
 * import { parseContainerInfo } from "./container_info.ts";
 * const info = parseContainerInfo({
 *   Id: "ab12",
 *   Name: "web",
 *   ImageName: "localhost/web:1",
 *   Config: { Labels: { app: "web" }, Tty: false },
 *   State: { Status: "running", Running: true, Pid: 42, ExitCode: 0 },
 * });
 * info?.state.running; // true
 * ```
 */
export function parseContainerInfo(json: unknown): ContainerInfo | undefined {
  if (!isRecord(json) || typeof json.Id !== "string" || !isRecord(json.State)) {
    return undefined;
  }
  const config = isRecord(json.Config) ? json.Config : {};
  const state = json.State;
  const labels: Record<string, string> = {};
  if (isRecord(config.Labels)) {
    for (const [key, value] of Object.entries(config.Labels)) {
      if (typeof value === "string") labels[key] = value;
    }
  }
  return {
    id: json.Id,
    name: String(json.Name ?? "").replace(/^\//, ""),
    image: String(json.ImageName ?? config.Image ?? ""),
    labels,
    tty: config.Tty === true,
    state: {
      status: String(state.Status ?? ""),
      running: state.Running === true,
      paused: state.Paused === true,
      pid: typeof state.Pid === "number" ? state.Pid : 0,
      exitCode: typeof state.ExitCode === "number" ? state.ExitCode : 0,
      startedAt: time(state.StartedAt),
      finishedAt: time(state.FinishedAt),
    },
  };
}

/**
 * Whether `labels` match a label filter, as podman's `label=` filter reads
 * it: `key=value` (that value) or `key` (any value).
 *
 * @throws {TypeError} for an empty filter or key.
 * @example
 * ```ts
 * import { matchesLabel } from "./container_info.ts";
 * matchesLabel({ "harmony.fleet/device": "d1" }, "harmony.fleet/device=d1"); // true
 * matchesLabel({ "harmony.fleet/device": "d1" }, "harmony.fleet/device=d2"); // false
 * matchesLabel({ "harmony.fleet/device": "d1" }, "harmony.fleet/device"); // true
 * ```
 */
export function matchesLabel(
  labels: Record<string, string>,
  filter: string,
): boolean {
  const equals = filter.indexOf("=");
  const key = equals < 0 ? filter : filter.slice(0, equals);
  if (key.length === 0) {
    throw new TypeError(
      `Invalid label filter ${
        JSON.stringify(filter)
      }: expected "key=value" or "key"`,
    );
  }
  if (!Object.hasOwn(labels, key)) return false;
  return equals < 0 || labels[key] === filter.slice(equals + 1);
}

/** Podman's zero time (`0001-01-01T00:00:00Z`) means "never". */
function time(value: unknown): string | undefined {
  return typeof value === "string" && !value.startsWith("0001-")
    ? value
    : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
