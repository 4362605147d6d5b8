/**
 * `POST` with `Connection: Upgrade` over a raw unix connection: podman's
 * exec start answers `101 UPGRADED` and then uses the connection both ways
 * (stdin in, multiplexed output out), which `fetch` cannot do. Private to
 * `podman/`.
 */
import { PodmanError, PodmanUnavailableError } from "./errors.ts";
import { apiError, describe } from "./_transport.ts";

/** An upgraded connection and the bytes that came with the answer's head. */
export interface Upgraded {
  /** The connection, now a raw stream. */
  conn: Deno.UnixConn;
  /** Stream bytes read together with the head. */
  leftover: Uint8Array;
}

/** Where the request goes and what it is for (for errors). */
export interface UpgradeTarget {
  /** The unix socket. */
  socket: string;
  /** The full path, e.g. `/v4.0.0/libpod/exec/<id>/start`. */
  path: string;
  /** `Cannot …` for error messages. */
  action: string;
}

const MAX_HEAD = 64 * 1024;
const HEAD_END = new TextEncoder().encode("\r\n\r\n");

/**
 * Sends `POST path` with a JSON `body` and an upgrade request; resolves
 * once podman answered 101 (or 200), with the raw connection.
 *
 * @throws {PodmanUnavailableError} when the socket cannot be reached.
 * @throws {PodmanApiError} (or a subclass) for an error answer.
 */
export async function postUpgrade(
  target: UpgradeTarget,
  body: string,
): Promise<Upgraded> {
  const endpoint = `POST ${target.path}`;
  const where = { socket: target.socket, endpoint };
  let conn: Deno.UnixConn;
  try {
    conn = await Deno.connect({ transport: "unix", path: target.socket });
  } catch (cause) {
    throw new PodmanUnavailableError(target.action, describe(cause), {
      ...where,
      cause,
    });
  }
  try {
    const payload = new TextEncoder().encode(body);
    await writeAll(
      conn,
      new TextEncoder().encode(
        `POST ${target.path} HTTP/1.1\r\nHost: d\r\n` +
          "Content-Type: application/json\r\n" +
          `Content-Length: ${payload.length}\r\n` +
          "Connection: Upgrade\r\nUpgrade: tcp\r\n\r\n",
      ),
    );
    await writeAll(conn, payload);
    const { head, rest } = await readHead(conn);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? NaN);
    if (status === 101 || status === 200) return { conn, leftover: rest };
    const text = Number.isNaN(status)
      ? `not an HTTP answer: ${JSON.stringify(head.slice(0, 200))}`
      : await readBody(conn, head, rest);
    conn.close();
    throw apiError(
      target.action,
      Number.isNaN(status) ? 502 : status,
      text,
      where,
    );
  } catch (error) {
    try {
      conn.close();
    } catch {
      // Already closed.
    }
    if (error instanceof PodmanError) throw error;
    throw new PodmanUnavailableError(target.action, describe(error), {
      ...where,
      cause: error,
    });
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

async function readHead(
  conn: Deno.Conn,
): Promise<{ head: string; rest: Uint8Array }> {
  let buffer: Uint8Array = new Uint8Array(0);
  while (true) {
    const end = indexOf(buffer, HEAD_END);
    if (end >= 0) {
      return {
        head: new TextDecoder().decode(buffer.subarray(0, end)),
        rest: buffer.slice(end + HEAD_END.length),
      };
    }
    if (buffer.length > MAX_HEAD) {
      throw new Error(`the answer's head is longer than ${MAX_HEAD} bytes`);
    }
    const chunk = new Uint8Array(16 * 1024);
    const n = await conn.read(chunk);
    if (n === null) {
      throw new Error("the connection closed before an answer came");
    }
    buffer = concat(buffer, chunk.subarray(0, n));
  }
}

/** Reads an error answer's body (Content-Length, chunked, or to EOF). */
async function readBody(
  conn: Deno.Conn,
  head: string,
  rest: Uint8Array,
): Promise<string> {
  const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? NaN);
  const chunked = /\r\ntransfer-encoding: *chunked/i.test(head);
  let body: Uint8Array = rest;
  const done = () =>
    Number.isNaN(length)
      ? chunked && endsWith(body, "0\r\n\r\n")
      : body.length >= length;
  while (!done() && body.length < MAX_HEAD) {
    const chunk = new Uint8Array(16 * 1024);
    const n = await conn.read(chunk);
    if (n === null) break;
    body = concat(body, chunk.subarray(0, n));
  }
  const text = new TextDecoder().decode(body);
  return chunked ? dechunk(text) : text;
}

function dechunk(text: string): string {
  let out = "";
  let rest = text;
  while (true) {
    const line = rest.indexOf("\r\n");
    const size = parseInt(rest.slice(0, line), 16);
    if (!(size > 0)) return out;
    out += rest.slice(line + 2, line + 2 + size);
    rest = rest.slice(line + 2 + size + 2);
  }
}

function indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return i;
  }
  return -1;
}

function endsWith(bytes: Uint8Array, text: string): boolean {
  const tail = new TextDecoder().decode(bytes.subarray(-text.length));
  return tail === text;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
