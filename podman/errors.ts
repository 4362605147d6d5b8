/**
 * Errors of the podman client. Every message says what was being done, the
 * problem, the endpoint (`METHOD /path`) and the socket.
 *
 * @module
 */

/** Fields every {@linkcode PodmanError} carries. */
export interface PodmanErrorOptions extends ErrorOptions {
  /** The unix socket of the podman API. */
  socket: string;
  /** `METHOD /path` of the request, e.g. `GET /v4.0.0/libpod/containers/web/json`. */
  endpoint: string;
}

/**
 * Base class of the podman client's errors.
 *
 * @example
 * ```ts ignore
 * import { PodmanClient, PodmanError } from "@harmony/fleet/podman";
 * try {
 *   await client.inspectContainer("web");
 * } catch (error) {
 *   if (error instanceof PodmanError) console.error(error.endpoint, error.socket);
 * }
 * ```
 */
export class PodmanError extends Error {
  /** The unix socket of the podman API. */
  readonly socket: string;
  /** `METHOD /path` of the request. */
  readonly endpoint: string;

  /**
   * Builds the error: `"<action>: <problem> (<endpoint> on "<socket>")"`,
   * where `action` reads like `Cannot inspect container "web"`.
   */
  constructor(action: string, problem: string, options: PodmanErrorOptions) {
    super(
      `${action}: ${problem} (${options.endpoint} on ${
        JSON.stringify(options.socket)
      })`,
      options,
    );
    this.name = "PodmanError";
    this.socket = options.socket;
    this.endpoint = options.endpoint;
  }
}

/**
 * The podman API cannot be reached: the socket is missing, refuses
 * connections, or the connection broke before an answer.
 *
 * @example
 * ```ts ignore
 * import { PodmanClient, PodmanUnavailableError } from "@harmony/fleet/podman";
 * await using client = new PodmanClient("/nonexistent/podman.sock");
 * await client.ping().catch((error) => error instanceof PodmanUnavailableError); // true
 * ```
 */
export class PodmanUnavailableError extends PodmanError {
  /** Builds the error; see {@linkcode PodmanError}. */
  constructor(action: string, problem: string, options: PodmanErrorOptions) {
    super(action, problem, options);
    this.name = "PodmanUnavailableError";
  }
}

/** Fields of a {@linkcode PodmanApiError}. */
export interface PodmanApiErrorOptions extends PodmanErrorOptions {
  /** The HTTP status podman answered. */
  status: number;
  /** Podman's own message (the `message` of its JSON error body). */
  reason: string;
}

/**
 * Podman answered with an error status. Subclasses name the ones callers
 * handle: {@linkcode PodmanNotFoundError} and {@linkcode PodmanConflictError}.
 *
 * @example
 * ```ts ignore
 * import { PodmanApiError } from "@harmony/fleet/podman";
 * try {
 *   for await (const _ of client.logs("web", { since: "not a time" })) {}
 * } catch (error) {
 *   if (error instanceof PodmanApiError) console.error(error.status, error.reason); // 400 …
 * }
 * ```
 */
export class PodmanApiError extends PodmanError {
  /** The HTTP status podman answered. */
  readonly status: number;
  /** Podman's own message. */
  readonly reason: string;

  /** Builds the error; the message carries `status` and `reason`. */
  constructor(action: string, options: PodmanApiErrorOptions) {
    super(action, `${options.reason} (HTTP ${options.status})`, options);
    this.name = "PodmanApiError";
    this.status = options.status;
    this.reason = options.reason;
  }
}

/**
 * The container (or exec session) does not exist, or does not carry the
 * label the caller asked for: HTTP 404, or a container hidden by a label
 * filter.
 *
 * @example
 * ```ts ignore
 * import { PodmanNotFoundError } from "@harmony/fleet/podman";
 * await client.inspectContainer("ghost").catch((e) => e instanceof PodmanNotFoundError); // true
 * ```
 */
export class PodmanNotFoundError extends PodmanApiError {
  /** Builds the error; see {@linkcode PodmanApiError}. */
  constructor(action: string, options: PodmanApiErrorOptions) {
    super(action, options);
    this.name = "PodmanNotFoundError";
  }
}

/**
 * The container exists but is in the wrong state, e.g. an exec in a
 * container that is not running: HTTP 409, or the 500 "container state
 * improper" that podman 4.x answers for it.
 *
 * @example
 * ```ts ignore
 * import { PodmanConflictError } from "@harmony/fleet/podman";
 * await client.exec("stopped", { cmd: ["true"] }).catch((e) => e instanceof PodmanConflictError); // true
 * ```
 */
export class PodmanConflictError extends PodmanApiError {
  /** Builds the error; see {@linkcode PodmanApiError}. */
  constructor(action: string, options: PodmanApiErrorOptions) {
    super(action, options);
    this.name = "PodmanConflictError";
  }
}

/**
 * A log or exec stream broke after podman accepted the request: the
 * connection dropped, or the bytes were not valid multiplexed framing.
 *
 * @example
 * ```ts ignore
 * import { PodmanStreamError } from "@harmony/fleet/podman";
 * try {
 *   for await (const chunk of client.logs("web", { follow: true })) {}
 * } catch (error) {
 *   if (error instanceof PodmanStreamError) console.error(error.message);
 * }
 * ```
 */
export class PodmanStreamError extends PodmanError {
  /** Builds the error; see {@linkcode PodmanError}. */
  constructor(action: string, problem: string, options: PodmanErrorOptions) {
    super(action, problem, options);
    this.name = "PodmanStreamError";
  }
}
