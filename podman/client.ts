/**
 * {@linkcode PodmanClient}: the libpod REST API over podman's unix socket.
 *
 * @module
 */
import {
  type ContainerInfo,
  matchesLabel,
  parseContainerInfo,
} from "./container_info.ts";
import { PodmanNotFoundError } from "./errors.ts";
import { PodmanExec } from "./exec.ts";
import { execCreateBody, type ExecOptions } from "./exec_options.ts";
import type { StreamChunk } from "./frames.ts";
import { readLogs } from "./_logs.ts";
import { type LogsOptions, logsQuery } from "./logs_query.ts";
import { API_PREFIX, Transport } from "./_transport.ts";
import { postUpgrade } from "./_upgrade.ts";

/** What {@linkcode PodmanClient.ping} reports. */
export interface PodmanPing {
  /** The libpod API version (`Libpod-Api-Version`), e.g. `4.3.1`. */
  apiVersion: string;
}

/** What {@linkcode PodmanClient.version} reports. */
export interface PodmanVersion {
  /** The podman version, e.g. `4.3.1`. */
  version: string;
  /** The libpod API version. */
  apiVersion: string;
  /** The oldest libpod API version it serves. */
  minApiVersion: string;
  /** `linux`, … */
  os: string;
  /** `amd64`, `arm64`, … */
  arch: string;
  /** The host's kernel version. */
  kernelVersion: string;
}

/** Options of {@linkcode PodmanClient.inspectContainer}. */
export interface InspectContainerOptions {
  /**
   * Only a container with this label (`key=value` or `key`) is found; any
   * other is "not found" for this caller.
   *
   * @default {any container}
   */
  label?: string;
  /** Aborts the request. */
  signal?: AbortSignal;
}

/**
 * A typed client of podman's libpod REST API on a unix socket. It owns one
 * `Deno.HttpClient` on that socket for its short requests; dispose closes
 * it. A log read and an exec each use a connection of their own (plain
 * HTTP/1.1), closed when they end. Errors are {@linkcode PodmanError}s
 * naming the socket and the endpoint.
 *
 * @example
 * ```ts ignore
 * import { PodmanClient } from "@harmony/fleet/podman";
 * await using podman = new PodmanClient("/run/podman/podman.sock");
 * await podman.ping(); // { apiVersion: "4.3.1" }
 * const web = await podman.inspectContainer("web", { label: "harmony.fleet/device=d1" });
 * for await (const { stream, data } of podman.logs(web.id, { tail: 10 })) {
 *   await (stream === "stdout" ? Deno.stdout : Deno.stderr).write(data);
 * }
 * await using run = await podman.exec(web.id, { cmd: ["sh", "-c", "exit 3"] });
 * await run.exitCode(); // 3
 * ```
 */
export class PodmanClient implements AsyncDisposable {
  readonly #transport: Transport;

  /**
   * A client of the API on `socket` (a unix socket path; nothing is
   * connected until the first request).
   *
   * @throws {TypeError} for an empty path.
   */
  constructor(socket: string) {
    if (typeof socket !== "string" || socket === "") {
      throw new TypeError("Invalid podman socket: expected a non-empty path");
    }
    this.#transport = new Transport(socket);
  }

  /** The unix socket of the API. */
  get socket(): string {
    return this.#transport.socket;
  }

  /**
   * Checks that podman answers (`GET /libpod/_ping`).
   *
   * @throws {PodmanUnavailableError} when the socket is missing or refuses.
   */
  async ping(options: { signal?: AbortSignal } = {}): Promise<PodmanPing> {
    const spec = { path: "/_ping", action: "Cannot ping podman", ...options };
    const { text, headers } = await this.#transport.text(spec);
    if (text !== "OK") {
      throw this.#transport.unexpected(spec, JSON.stringify(text));
    }
    return { apiVersion: headers.get("libpod-api-version") ?? "" };
  }

  /** Podman's version (`GET /libpod/version`). */
  async version(
    options: { signal?: AbortSignal } = {},
  ): Promise<PodmanVersion> {
    const spec = {
      path: "/version",
      action: "Cannot read podman's version",
      ...options,
    };
    const json = await this.#transport.json(spec) as Record<string, unknown>;
    if (typeof json?.Version !== "string") {
      throw this.#transport.unexpected(spec, "no Version");
    }
    const engine = Array.isArray(json.Components)
      ? json.Components.find((c) => c?.Name === "Podman Engine")?.Details ?? {}
      : {};
    return {
      version: json.Version,
      apiVersion: String(engine.APIVersion ?? json.Version),
      minApiVersion: String(engine.MinAPIVersion ?? ""),
      os: String(json.Os ?? ""),
      arch: String(json.Arch ?? ""),
      kernelVersion: String(json.KernelVersion ?? ""),
    };
  }

  /**
   * Inspects a container by name or id.
   *
   * @throws {PodmanNotFoundError} when there is none, or it lacks `label`.
   */
  async inspectContainer(
    nameOrId: string,
    options: InspectContainerOptions = {},
  ): Promise<ContainerInfo> {
    checkName(nameOrId);
    const spec = {
      path: `/containers/${encodeURIComponent(nameOrId)}/json`,
      action: `Cannot inspect container ${JSON.stringify(nameOrId)}`,
      signal: options.signal,
    };
    const info = parseContainerInfo(await this.#transport.json(spec));
    if (info === undefined) {
      throw this.#transport.unexpected(spec, "not a container inspect answer");
    }
    if (
      options.label !== undefined && !matchesLabel(info.labels, options.label)
    ) {
      throw new PodmanNotFoundError(spec.action, {
        socket: this.socket,
        endpoint: this.#transport.endpoint(spec),
        status: 404,
        reason: `no container with name or ID ${
          JSON.stringify(nameOrId)
        } and label ${JSON.stringify(options.label)} found`,
      });
    }
    return info;
  }

  /**
   * A container's log, as `podman logs` prints it, demultiplexed into
   * `stdout`/`stderr` chunks. Nothing is requested until iteration starts.
   * Breaking out of the loop or aborting `signal` closes its connection at
   * once. Each chunk's bytes are its own (the caller may keep them).
   *
   * @throws {RangeError} or {TypeError} for bad options (see {@linkcode logsQuery}).
   * @throws {PodmanNotFoundError} when the container does not exist (or lacks `label`).
   * @throws {PodmanStreamError} when the stream breaks.
   */
  logs(
    nameOrId: string,
    options: LogsOptions = {},
  ): AsyncGenerator<StreamChunk, void, undefined> {
    checkName(nameOrId);
    const query = logsQuery(options);
    return readLogs(this.#transport, nameOrId, query, {
      signal: options.signal,
      check: options.label === undefined
        ? undefined
        : () =>
          this.inspectContainer(nameOrId, {
            label: options.label,
            signal: options.signal,
          }).then(() => {}),
    });
  }

  /**
   * Runs a command in a running container (exec create, then start) and
   * resolves once it runs, with its {@linkcode PodmanExec}: read its output,
   * then `exitCode()`; `kill()` stops it.
   *
   * @throws {TypeError} or {RangeError} for bad options (see {@linkcode execCreateBody}).
   * @throws {PodmanNotFoundError} when the container does not exist (or lacks `label`).
   * @throws {PodmanConflictError} when it is not running.
   */
  async exec(nameOrId: string, options: ExecOptions): Promise<PodmanExec> {
    checkName(nameOrId);
    const body = execCreateBody(options);
    options.signal?.throwIfAborted();
    let container = nameOrId;
    if (options.label !== undefined) {
      const info = await this.inspectContainer(nameOrId, {
        label: options.label,
        signal: options.signal,
      });
      container = info.id;
    }
    const action = `Cannot exec in container ${JSON.stringify(nameOrId)}`;
    const created = await this.#transport.json({
      method: "POST",
      path: `/containers/${encodeURIComponent(container)}/exec`,
      body,
      action,
      signal: options.signal,
    }) as { Id?: unknown };
    const id = String(created?.Id ?? "");
    const started = await postUpgrade({
      socket: this.socket,
      path: `${API_PREFIX}/exec/${encodeURIComponent(id)}/start`,
      action,
    }, JSON.stringify({ Detach: false, Tty: false }));
    const run = new PodmanExec(this.#transport, {
      id,
      conn: started.conn,
      leftover: started.leftover,
      stdin: options.stdin,
      signal: options.signal,
    });
    return run;
  }

  /** Closes the HTTP client; idempotent. */
  [Symbol.asyncDispose](): Promise<void> {
    try {
      this.#transport.close();
    } catch {
      // Already closed.
    }
    return Promise.resolve();
  }
}

function checkName(nameOrId: string): void {
  if (typeof nameOrId !== "string" || nameOrId === "") {
    throw new TypeError("Invalid container: expected a non-empty name or id");
  }
}
