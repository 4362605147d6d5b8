/**
 * HTTP requests to the libpod API over its unix socket, with podman's error
 * answers mapped to the client's error classes. Private to `podman/`.
 */
import {
  PodmanApiError,
  type PodmanApiErrorOptions,
  PodmanConflictError,
  PodmanError,
  PodmanNotFoundError,
  PodmanUnavailableError,
} from "./errors.ts";

/** The libpod API path prefix; podman 4.0 and later answer it. */
export const API_PREFIX = "/v4.0.0/libpod";

/** One request. */
export interface RequestSpec {
  /** @default {"GET"} */
  method?: "GET" | "POST" | "DELETE";
  /** The path after {@linkcode API_PREFIX}, already encoded. */
  path: string;
  /** Query parameters; `undefined` values are left out. */
  query?: Record<string, string | number | boolean | undefined>;
  /** A JSON body. */
  body?: unknown;
  /** Aborts the request (and its response body). */
  signal?: AbortSignal;
  /** What is being done, for error messages: `Cannot inspect container "web"`. */
  action: string;
}

/** The socket, the HTTP client on it, and the error mapping. */
export class Transport {
  readonly #client: Deno.HttpClient;
  /** The unix socket of the podman API. */
  readonly socket: string;

  /** Opens an HTTP client on `socket` (connections are made on demand). */
  constructor(socket: string) {
    this.socket = socket;
    this.#client = Deno.createHttpClient({
      proxy: { transport: "unix", path: socket },
    });
  }

  /** `METHOD /v4.0.0/libpod/path?query` of a request. */
  endpoint(spec: Pick<RequestSpec, "method" | "path" | "query">): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) params.set(key, String(value));
    }
    const query = params.size > 0 ? `?${params}` : "";
    return `${spec.method ?? "GET"} ${API_PREFIX}${spec.path}${query}`;
  }

  /**
   * Sends the request; resolves with the response when its status is 2xx
   * (the body is the caller's to read or cancel).
   *
   * @throws {PodmanUnavailableError} when the socket cannot be reached.
   * @throws {PodmanApiError} (or a subclass) for an error status.
   * @throws the signal's reason when `spec.signal` aborts it.
   */
  async request(spec: RequestSpec): Promise<Response> {
    const endpoint = this.endpoint(spec);
    const [method, target] = endpoint.split(" ");
    let response: Response;
    try {
      response = await fetch(`http://d${target}`, {
        client: this.#client,
        method,
        headers: spec.body === undefined
          ? undefined
          : { "content-type": "application/json" },
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        signal: spec.signal,
      });
    } catch (cause) {
      if (spec.signal?.aborted) throw spec.signal.reason;
      throw new PodmanUnavailableError(spec.action, describe(cause), {
        socket: this.socket,
        endpoint,
        cause,
      });
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => "");
    throw apiError(spec.action, response.status, text, {
      socket: this.socket,
      endpoint,
    });
  }

  /** Sends the request and parses its JSON answer. */
  async json(spec: RequestSpec): Promise<unknown> {
    const response = await this.request(spec);
    const text = await this.#readText(response, spec);
    try {
      return JSON.parse(text);
    } catch (cause) {
      throw new PodmanError(
        spec.action,
        `the answer is not JSON: ${JSON.stringify(text.slice(0, 200))}`,
        { socket: this.socket, endpoint: this.endpoint(spec), cause },
      );
    }
  }

  /** Sends the request and reads its text answer. */
  async text(spec: RequestSpec): Promise<{ text: string; headers: Headers }> {
    const response = await this.request(spec);
    return {
      text: await this.#readText(response, spec),
      headers: response.headers,
    };
  }

  /** A {@linkcode PodmanError} for an answer of unexpected shape. */
  unexpected(spec: RequestSpec, problem: string): PodmanError {
    return new PodmanError(spec.action, `unexpected answer: ${problem}`, {
      socket: this.socket,
      endpoint: this.endpoint(spec),
    });
  }

  /** Closes the HTTP client and its idle connections. */
  close(): void {
    this.#client.close();
  }

  async #readText(response: Response, spec: RequestSpec): Promise<string> {
    try {
      return await response.text();
    } catch (cause) {
      if (spec.signal?.aborted) throw spec.signal.reason;
      throw new PodmanUnavailableError(spec.action, describe(cause), {
        socket: this.socket,
        endpoint: this.endpoint(spec),
        cause,
      });
    }
  }
}

/**
 * The error for an error answer: 404 is {@linkcode PodmanNotFoundError};
 * 409, and the 500 "container state improper" of podman 4.x, are
 * {@linkcode PodmanConflictError}; anything else {@linkcode PodmanApiError}.
 */
export function apiError(
  action: string,
  status: number,
  body: string,
  where: { socket: string; endpoint: string },
): PodmanApiError {
  let reason = body.trim() || `HTTP ${status}`;
  let cause = "";
  try {
    const parsed = JSON.parse(body) as { message?: unknown; cause?: unknown };
    if (typeof parsed.message === "string") reason = parsed.message;
    if (typeof parsed.cause === "string") cause = parsed.cause;
  } catch {
    // Not JSON: keep the text.
  }
  const options: PodmanApiErrorOptions = { ...where, status, reason };
  if (status === 404) return new PodmanNotFoundError(action, options);
  if (status === 409 || cause === "container state improper") {
    return new PodmanConflictError(action, options);
  }
  return new PodmanApiError(action, options);
}

/** The message of an error, or its text. */
export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
