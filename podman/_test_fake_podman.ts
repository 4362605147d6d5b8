/**
 * A fake podman API for tests: a unix socket whose answers a test writes
 * byte by byte, to check what real podman never sends (chunk extensions,
 * trailers, a Content-Length body, an answer cut short). Test-only.
 */
import { concatBytes } from "./_bytes.ts";

/** One request to the fake, and the means to answer it. */
export interface FakeExchange {
  /** The request's head, without the blank line that ends it. */
  request: string;
  /** Writes bytes (a string as UTF-8) in one write call. */
  write(bytes: Uint8Array | string): Promise<void>;
  /** Closes the connection (the answer ends here). */
  close(): void;
}

/** A fake podman service; dispose closes it and every connection. */
export class FakePodman implements AsyncDisposable {
  readonly #dir: string;
  readonly #listener: Deno.Listener<Deno.UnixConn, Deno.UnixAddr>;
  readonly #conns = new Set<Deno.UnixConn>();
  readonly #handlers: Promise<void>[] = [];
  readonly #accepting: Promise<void>;
  #disposed: Promise<void> | undefined;
  /** The socket's path. */
  readonly socket: string;
  /** The heads of the requests received, in order. */
  readonly requests: string[] = [];
  /** How many connections the client closed (seen as end of input). */
  clientCloses = 0;

  private constructor(
    dir: string,
    answer: (exchange: FakeExchange) => Promise<void>,
  ) {
    this.#dir = dir;
    this.socket = `${dir}/podman.sock`;
    this.#listener = Deno.listen({ transport: "unix", path: this.socket });
    this.#accepting = this.#accept(answer);
  }

  /**
   * Listens on a socket in a new temp dir; each connection's request is
   * read, then `answer` writes the answer. Unless it closed the
   * connection, the fake then reads until the client closes it.
   */
  static async start(
    answer: (exchange: FakeExchange) => Promise<void>,
  ): Promise<FakePodman> {
    const dir = await Deno.makeTempDir({ prefix: "fleet-fake-podman-" });
    return new FakePodman(dir, answer);
  }

  async #accept(answer: (exchange: FakeExchange) => Promise<void>) {
    try {
      for await (const conn of this.#listener) {
        this.#conns.add(conn);
        this.#handlers.push(this.#serve(conn, answer).catch(() => {}));
      }
    } catch {
      // Closed.
    }
  }

  async #serve(
    conn: Deno.UnixConn,
    answer: (exchange: FakeExchange) => Promise<void>,
  ): Promise<void> {
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      this.#conns.delete(conn);
      conn.close();
    };
    try {
      const request = await readRequestHead(conn);
      if (request === undefined) return;
      this.requests.push(request);
      await answer({
        request,
        write: async (bytes) => {
          let data = typeof bytes === "string"
            ? new TextEncoder().encode(bytes)
            : bytes;
          while (data.length > 0) data = data.subarray(await conn.write(data));
        },
        close,
      });
      if (closed) return;
      const buffer = new Uint8Array(1024);
      while (await conn.read(buffer) !== null) {
        // Ignored.
      }
      this.clientCloses++;
    } finally {
      close();
    }
  }

  /** Closes the socket and every connection; idempotent. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#disposed ??= (async () => {
      this.#listener.close();
      for (const conn of this.#conns) {
        try {
          conn.close();
        } catch {
          // Closed meanwhile.
        }
      }
      this.#conns.clear();
      await this.#accepting;
      await Promise.all(this.#handlers);
      await Deno.remove(this.#dir, { recursive: true });
    })();
    return this.#disposed;
  }
}

/** Reads a request head (a GET's whole request); `undefined` at once-closed. */
async function readRequestHead(
  conn: Deno.UnixConn,
): Promise<string | undefined> {
  let text = "";
  const buffer = new Uint8Array(4096);
  while (!text.includes("\r\n\r\n")) {
    const n = await conn.read(buffer);
    if (n === null) return undefined;
    text += new TextDecoder().decode(buffer.subarray(0, n));
  }
  return text.slice(0, text.indexOf("\r\n\r\n"));
}

/** An 8-byte-framed piece of output: stream 1 stdout, 2 stderr. */
export function frame(stream: number, payload: string): Uint8Array {
  const bytes = new TextEncoder().encode(payload);
  const out = new Uint8Array(8 + bytes.length);
  out[0] = stream;
  new DataView(out.buffer).setUint32(4, bytes.length);
  out.set(bytes, 8);
  return out;
}

/** `bytes` as one HTTP chunk (`size[ext] CRLF data CRLF`). */
export function httpChunk(bytes: Uint8Array, extension = ""): Uint8Array {
  const head = new TextEncoder().encode(
    `${bytes.length.toString(16)}${extension}\r\n`,
  );
  const out = new Uint8Array(head.length + bytes.length + 2);
  out.set(head);
  out.set(bytes, head.length);
  out.set([13, 10], head.length + bytes.length);
  return out;
}

/** Joins byte arrays (strings as UTF-8). */
export function bytesOf(...parts: (Uint8Array | string)[]): Uint8Array {
  const arrays = parts.map((part) =>
    typeof part === "string" ? new TextEncoder().encode(part) : part
  );
  return concatBytes(arrays);
}
