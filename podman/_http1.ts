/**
 * One HTTP/1.1 exchange on a connection of its own to podman's unix
 * socket, without `fetch`: writing the request, reading the answer's head,
 * and turning an error answer into the client's error. Its callers then
 * own the connection: a log read decodes the body from it, an exec start
 * uses it upgraded. Private to `podman/`.
 */
import { PodmanError, PodmanUnavailableError } from "./errors.ts";
import { concatBytes } from "./_bytes.ts";
import { bodyDecoder } from "./_http_body.ts";
import { HttpFramingError } from "./_http_error.ts";
import { type ResponseHead, ResponseHeadReader } from "./_response_head.ts";
import { apiError, describe } from "./_transport.ts";

/** A request on a connection of its own. */
export interface Http1Request {
  /** The unix socket. */
  socket: string;
  /** `GET`, `POST`, … */
  method: string;
  /** The request target: the full path and query. */
  target: string;
  /** `Cannot …`, for error messages. */
  action: string;
  /** More header fields (`Host` is always sent, `Content-Length` with a body). */
  headers?: Record<string, string>;
  /** The body. */
  body?: Uint8Array;
  /** Closes the connection, and rejects with its reason, when aborted. */
  signal?: AbortSignal;
}

/** The answer's head, and the connection to read the rest from. */
export interface Http1Answer {
  /** The connection; the caller closes it. */
  conn: Deno.UnixConn;
  /** The final (not 1xx, or 101) answer's head. */
  head: ResponseHead;
  /** Bytes read after the head (the body's or the upgraded stream's start). */
  rest: Uint8Array;
}

/** Bytes of an error answer's body read for its message. */
const MAX_ERROR_BODY = 64 * 1024;
/** Bytes asked for per read. */
export const READ_SIZE = 64 * 1024;

/**
 * Connects to `request.socket`, sends the request and reads the answer's
 * head (skipping `100 Continue` and other interim answers). Resolves for
 * 101 and 2xx answers; for any other, reads the body (podman's JSON
 * error), closes the connection and throws.
 *
 * @throws {PodmanUnavailableError} when the socket cannot be reached, the
 * connection breaks before the head, or the answer is not HTTP/1.x.
 * @throws {PodmanApiError} (or a subclass) for an error status.
 * @throws the signal's reason when `request.signal` aborts.
 */
export async function sendRequest(request: Http1Request): Promise<Http1Answer> {
  const { signal } = request;
  const where = {
    socket: request.socket,
    endpoint: `${request.method} ${request.target}`,
  };
  signal?.throwIfAborted();
  let conn: Deno.UnixConn;
  try {
    conn = await Deno.connect({ transport: "unix", path: request.socket });
  } catch (cause) {
    throw new PodmanUnavailableError(request.action, describe(cause), {
      ...where,
      cause,
    });
  }
  const close = () => closeQuietly(conn);
  signal?.addEventListener("abort", close, { once: true });
  try {
    signal?.throwIfAborted();
    await writeAll(conn, requestBytes(request));
    let answer = await readHead(conn, new Uint8Array(0));
    while (answer.head.status < 200 && answer.head.status !== 101) {
      answer = await readHead(conn, answer.rest);
    }
    const { head, rest } = answer;
    if (head.status === 101 || (head.status >= 200 && head.status < 300)) {
      signal?.throwIfAborted();
      return { conn, head, rest };
    }
    const text = await readErrorBody(conn, head, rest);
    throw apiError(request.action, head.status, text, where);
  } catch (error) {
    close();
    if (signal?.aborted) throw signal.reason;
    if (error instanceof PodmanError) throw error;
    throw new PodmanUnavailableError(request.action, describe(error), {
      ...where,
      cause: error,
    });
  } finally {
    signal?.removeEventListener("abort", close);
  }
}

/**
 * The bytes of a request: request line, `Host`, `headers`, and
 * `Content-Length` plus the body when there is one.
 */
export function requestBytes(
  request: Pick<Http1Request, "method" | "target" | "headers" | "body">,
): Uint8Array {
  let head = `${request.method} ${request.target} HTTP/1.1\r\nHost: d\r\n`;
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    head += `${name}: ${value}\r\n`;
  }
  if (request.body !== undefined) {
    head += `Content-Length: ${request.body.length}\r\n`;
  }
  const bytes = new TextEncoder().encode(`${head}\r\n`);
  if (request.body === undefined || request.body.length === 0) return bytes;
  const out = new Uint8Array(bytes.length + request.body.length);
  out.set(bytes);
  out.set(request.body, bytes.length);
  return out;
}

/** Closes `conn` unless it is closed already. */
export function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}

/** Writes all of `bytes`. */
export async function writeAll(
  conn: Deno.Conn,
  bytes: Uint8Array,
): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) {
    offset += await conn.write(bytes.subarray(offset));
  }
}

/** Reads up to the end of a head; `start` holds bytes already read. */
async function readHead(
  conn: Deno.Conn,
  start: Uint8Array,
): Promise<{ head: ResponseHead; rest: Uint8Array }> {
  const reader = new ResponseHeadReader();
  let found = reader.push(start);
  const buffer = new Uint8Array(READ_SIZE);
  while (found === undefined) {
    const n = await conn.read(buffer);
    if (n === null) {
      throw new HttpFramingError("the connection closed before an answer");
    }
    found = reader.push(buffer.subarray(0, n));
  }
  return found;
}

/**
 * The text of an error answer's body (at most {@linkcode MAX_ERROR_BODY}
 * bytes; what came, if the connection breaks).
 */
async function readErrorBody(
  conn: Deno.Conn,
  head: ResponseHead,
  rest: Uint8Array,
): Promise<string> {
  const parts: Uint8Array[] = [];
  let length = 0;
  try {
    const body = bodyDecoder(head);
    let bytes = rest;
    while (true) {
      for (const part of body.push(bytes)) {
        parts.push(part); // A view into a buffer of its own.
        length += part.length;
      }
      if (body.done || length >= MAX_ERROR_BODY) break;
      const buffer = new Uint8Array(READ_SIZE);
      const n = await conn.read(buffer);
      if (n === null) break;
      bytes = buffer.subarray(0, n);
    }
  } catch {
    // Keep what came.
  }
  return new TextDecoder().decode(
    concatBytes(parts).subarray(0, MAX_ERROR_BODY),
  );
}
