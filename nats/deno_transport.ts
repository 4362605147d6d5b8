import {
  checkOptions,
  DataBuffer,
  type Deferred,
  deferred,
  errors,
  extractProtocolMessage,
  INFO,
  render,
} from "@nats-io/nats-core/internal";
import { checkTlsOptions, readTlsMaterial } from "./_tls_options.ts";
import {
  asConnectionError,
  closedWhileConnecting,
  describeServer,
} from "./_transport_errors.ts";
import type {
  ConnectionOptions,
  Server,
  ServerInfo,
  TlsOptions,
  Transport,
} from "@nats-io/nats-core/internal";

/** Size of the buffer each socket read fills; every read is copied out of it. */
const READ_BUFFER_SIZE = 64 * 1024;
/** A server whose first line is longer than this is not a NATS server. */
const MAX_INFO_BYTES = 1024 * 1024;
/** How long a clean close waits for queued frames to reach the socket. */
const FLUSH_TIMEOUT_MS = 1_000;
/**
 * Why a server may close a plain connection before its `INFO`: nats-server
 * with `handshake_first` waits for a TLS handshake and closes the
 * connection when its TLS timeout passes without one.
 */
const NOT_TLS_FIRST_HINT = "; a server with TLS handshake_first closes a " +
  "connection that does not start with the TLS handshake: set " +
  "tls.handshakeFirst";
/** The `@nats-io/nats-core` release this transport is written against. */
const NATS_CORE_VERSION = "3.4.0";

/** What ends a connected transport: one of its loops, close() or disconnect(). */
type Ender = "reader" | "writer" | "caller" | "disconnect";

/**
 * A NATS {@linkcode Transport} on Deno's own sockets: `Deno.connect`, then
 * `Deno.startTls` when the server offers or requires TLS, or `Deno.connectTls`
 * when `tls.handshakeFirst` is set.
 *
 * One instance carries one connection attempt; `@nats-io/nats-core` makes a
 * new one for every (re)connect through the factory registered by
 * {@linkcode connect}. Every socket error ends the transport with a
 * `ConnectionError` as its {@linkcode DenoTransport.closeError}; nothing it
 * does can reject unobserved. Closing more than once is harmless.
 *
 * TLS: any `tls` option object (which a `tls://` URL sets) means TLS
 * required, as nats-core's own option check has it; a server that offers
 * none is refused with a `ConnectionError` naming it. `tls: null` refuses
 * TLS. The certificate is checked against the name the server was given by
 * (`tlsName` when nats-core resolved a host name to addresses).
 * Client certificates need `tls.handshakeFirst` (and the server's
 * `handshake_first`): `Deno.startTls` cannot present one. With
 * `handshakeFirst` the dial goes to that name and Deno picks the address.
 *
 * Timeouts: nats-core bounds each dial by `timeout` and then calls
 * {@linkcode DenoTransport.close}, which stops the dial at once — also a
 * `Deno.connectTls` still waiting for TCP, which takes no abort signal: its
 * connection is closed when it comes. Deno keeps the socket of a TLS
 * connection closed mid-handshake open until the peer answers or closes
 * it.
 *
 * @example
 * ```ts ignore
 * import { setTransportFactory } from "@nats-io/nats-core/internal";
 * import { DenoTransport } from "./deno_transport.ts";
 *
 * setTransportFactory({ factory: () => new DenoTransport(), defaultPort: 4222 });
 * ```
 */
export class DenoTransport implements Transport {
  /** Client language sent in `CONNECT`. */
  readonly lang: string = "nats.deno";
  /** Client version sent in `CONNECT`. */
  readonly version: string = NATS_CORE_VERSION;

  #options: ConnectionOptions = {};
  #conn: Deno.Conn | undefined;
  #connClosed = false;
  #encrypted = false;
  #connected = false;
  #done = false;
  #discarded = false;
  #closeError: Error | undefined;
  #closedNotice: Deferred<void | Error> = deferred<void | Error>();
  /** Whether anything has started reading frames from the iterator. */
  #iterating = false;
  /** Resolves once the iterator has handed out every frame read (or was discarded). */
  #drained: Deferred<void> = deferred<void>();
  #abort = new AbortController();
  #connecting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #reader: Promise<void> | undefined;
  #writer: Promise<void> | undefined;
  #inbound: Uint8Array[] = [];
  #wake: Deferred<void> | undefined;
  #outbound: Uint8Array[] = [];

  /** True once the transport was closed, failed or discarded. */
  get isClosed(): boolean {
    return this.#done;
  }

  /** The socket error that ended the connection, if any. */
  get closeError(): Error | undefined {
    return this.#closeError;
  }

  /** Whether the connection runs over TLS. */
  isEncrypted(): boolean {
    return this.#encrypted;
  }

  /**
   * Dials `server`, reads its `INFO`, checks `options` against it and
   * upgrades to TLS when the server requires or offers it. The `INFO` bytes
   * are the first frame the iterator yields.
   */
  connect(server: Server, options: ConnectionOptions): Promise<void> {
    this.#options = options;
    const attempt = this.#dial(server, options);
    this.#connecting = attempt.then(() => {}, () => {});
    return attempt;
  }

  /** Frames read from the server, in order, until the transport closes. */
  [Symbol.asyncIterator](): AsyncIterableIterator<Uint8Array> {
    return this.#iterate();
  }

  /** Queues `frame` for writing; ignored once the transport is closed. */
  send(frame: Uint8Array): void {
    if (this.#done || !this.#connected || this.#conn === undefined) return;
    if (this.#options.debug) console.info(`< ${render(frame)}`);
    this.#outbound.push(frame);
    this.#writer ??= this.#writeLoop(this.#conn);
  }

  /**
   * Closes the connection. Without `err`, frames already queued are written
   * first (for at most a second). Resolves once the socket is closed and
   * both loops have stopped; later calls wait for the same end.
   */
  close(err?: Error): Promise<void> {
    if (!this.#connected) return this.#abandon();
    return this.#shutdown(err, err === undefined, "caller");
  }

  /** Closes the connection cleanly so that the client reconnects. */
  disconnect(): void {
    if (!this.#connected) {
      void this.#abandon();
      return;
    }
    void this.#shutdown(undefined, true, "disconnect");
  }

  /**
   * Resolves once, with the error (nothing for a clean end), when a
   * connected transport ended on its own (the server closed it, a read or
   * write failed) or through {@linkcode disconnect}: nats-core then
   * reconnects. It never resolves after {@linkcode close} (the client ended
   * it and needs no notice), after a failed {@linkcode connect}, or once
   * {@linkcode discard}ed — nats-core would take it for the end of the
   * transport that replaced this one. The official Deno transport does the
   * same; the Node.js one also resolves after `close()`.
   */
  closed(): Promise<void | Error> {
    return this.#closedNotice;
  }

  /**
   * Drops the connection without notifying {@linkcode closed}: the client
   * has moved on to a new transport. Unread frames are thrown away.
   */
  discard(): void {
    this.#discarded = true;
    this.#inbound = [];
    this.#outbound = [];
    void this.#abandon();
  }

  async #dial(server: Server, options: ConnectionOptions): Promise<void> {
    const { hostname, port } = server;
    const where = describeServer(server);
    const tls = options.tls;
    try {
      checkTlsOptions(tls);
      if (tls?.handshakeFirst === true) {
        const material = await readTlsMaterial(tls);
        this.#checkOpen();
        // Deno.connectTls takes no signal: stop waiting for it on close, and
        // close what it brings if it comes after all.
        this.#conn = await this.#unlessAborted(
          Deno.connectTls({
            // Checked against the certificate: the name the server was given
            // by, when nats-core resolved it to `hostname`.
            hostname: server.tlsName || hostname,
            port,
            caCerts: material.caCerts,
            ...(material.cert !== undefined && material.key !== undefined
              ? { cert: material.cert, key: material.key }
              : {}),
          }),
          (conn) => conn.close(),
        );
        this.#encrypted = true;
        this.#checkOpen();
        await (this.#conn as Deno.TlsConn).handshake();
      } else {
        this.#conn = await Deno.connect({
          hostname,
          port,
          signal: this.#abort.signal,
        });
        (this.#conn as Deno.TcpConn).setNoDelay(true);
      }
      this.#checkOpen();
      const info = await this.#readInfo(this.#conn);
      const offered = info.tls_required === true ||
        info.tls_available === true;
      if (tls && !offered) {
        throw new errors.ConnectionError(
          `Cannot connect to ${where}: TLS is required (tls:// URL or tls option) ` +
            "but the server does not offer it",
        );
      }
      checkOptions(info, options);
      if (tls === null && info.tls_required === true) {
        throw new errors.ConnectionError(
          `Cannot connect to ${where}: the server requires TLS but the tls option is null`,
        );
      }
      const wantsTls = info.tls_required === true ||
        (info.tls_available === true && tls !== null);
      if (!this.#encrypted && wantsTls) {
        await this.#upgrade(server, tls);
      }
      this.#checkOpen();
      this.#connected = true;
      this.#reader = this.#readLoop(this.#conn);
    } catch (err) {
      this.#done = true;
      this.#closeConn();
      throw asConnectionError(err, `Cannot connect to ${where}`);
    }
  }

  /**
   * Waits for `pending` unless the transport is closed first; then rejects
   * at once and hands whatever `pending` brings later to `dispose`.
   */
  #unlessAborted<T>(
    pending: Promise<T>,
    dispose: (value: T) => void,
  ): Promise<T> {
    const signal = this.#abort.signal;
    const late = () => void pending.then(dispose, () => {});
    if (signal.aborted) {
      late();
      return Promise.reject(closedWhileConnecting());
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        late();
        reject(closedWhileConnecting());
      };
      signal.addEventListener("abort", onAbort, { once: true });
      pending.then(
        (value) => {
          signal.removeEventListener("abort", onAbort);
          resolve(value);
        },
        (err) => {
          signal.removeEventListener("abort", onAbort);
          reject(err);
        },
      );
    });
  }

  async #upgrade(server: Server, tls: TlsOptions | null | undefined) {
    const material = await readTlsMaterial(tls);
    this.#checkOpen();
    const conn = await Deno.startTls(this.#conn as Deno.TcpConn, {
      hostname: server.tlsName || server.hostname,
      caCerts: material.caCerts,
    });
    // From here on the TLS connection owns (and closes) the TCP one.
    this.#conn = conn;
    this.#encrypted = true;
    this.#checkOpen();
    await conn.handshake();
  }

  async #readInfo(conn: Deno.Conn): Promise<ServerInfo> {
    const buf = new Uint8Array(READ_BUFFER_SIZE);
    const chunks: Uint8Array[] = [];
    let size = 0;
    while (true) {
      const n = await conn.read(buf);
      if (n === null) {
        throw new errors.ConnectionError(
          "connection closed by the server before it sent INFO" +
            (this.#encrypted ? "" : NOT_TLS_FIRST_HINT),
        );
      }
      chunks.push(buf.slice(0, n));
      size += n;
      const all = chunks.length === 1
        ? chunks[0]
        : DataBuffer.concat(...chunks);
      const line = extractProtocolMessage(all);
      if (line !== "") {
        const m = INFO.exec(line);
        if (m === null) {
          throw new errors.ConnectionError(
            `unexpected first line from server: ${
              JSON.stringify(line.slice(0, 80))
            }`,
          );
        }
        const info = JSON.parse(m[1]) as ServerInfo;
        this.#inbound.push(all);
        return info;
      }
      if (size > MAX_INFO_BYTES) {
        throw new errors.ConnectionError(
          `server sent ${size} bytes without an INFO line`,
        );
      }
    }
  }

  async #readLoop(conn: Deno.Conn): Promise<void> {
    const buf = new Uint8Array(READ_BUFFER_SIZE);
    let err: Error | undefined;
    try {
      while (!this.#done) {
        const n = await conn.read(buf);
        if (n === null || this.#done) break;
        // The parser keeps views into what it is given: never reuse `buf`.
        this.#inbound.push(buf.slice(0, n));
        this.#wakeIterator();
      }
    } catch (e) {
      if (!this.#done) {
        err = asConnectionError(e, "Cannot read from the NATS server");
      }
    }
    if (!this.#done) await this.#shutdown(err, false, "reader");
  }

  async #writeLoop(conn: Deno.Conn): Promise<void> {
    try {
      // Frames queued in the same turn go out in one write (CONNECT and
      // PING, a burst of publishes): on a socket with Nagle's algorithm on,
      // as Deno.connectTls leaves it, a second small write waits for the
      // peer's delayed ACK, about 40 ms.
      await Promise.resolve();
      while (this.#outbound.length > 0 && !this.#connClosed) {
        const frames = this.#outbound;
        this.#outbound = [];
        const chunk = frames.length === 1
          ? frames[0]
          : DataBuffer.concat(...frames);
        let offset = 0;
        while (offset < chunk.length) {
          offset += await conn.write(chunk.subarray(offset));
        }
      }
    } catch (e) {
      if (!this.#done) {
        const err = asConnectionError(e, "Cannot write to the NATS server");
        void this.#shutdown(err, false, "writer");
      }
    } finally {
      this.#writer = undefined;
    }
  }

  async *#iterate(): AsyncGenerator<Uint8Array> {
    this.#iterating = true;
    try {
      while (!this.#discarded) {
        if (this.#inbound.length === 0) {
          if (this.#done) return;
          this.#wake = deferred<void>();
          await this.#wake;
          continue;
        }
        const frames = this.#inbound;
        this.#inbound = [];
        for (const frame of frames) {
          if (this.#discarded) return;
          if (this.#options.debug) console.info(`> ${render(frame)}`);
          yield frame;
        }
      }
    } finally {
      this.#drained.resolve();
    }
  }

  #wakeIterator(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.resolve();
  }

  /** Ends a connected transport once; every caller gets the same promise. */
  #shutdown(err: Error | undefined, flush: boolean, by: Ender): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#done = true;
    this.#closeError = err;
    this.#closing = this.#finish(err, flush, by);
    return this.#closing;
  }

  async #finish(err: Error | undefined, flush: boolean, by: Ender) {
    if (flush && this.#writer !== undefined) {
      await settleWithin(this.#writer, FLUSH_TIMEOUT_MS);
    }
    this.#closeConn();
    this.#wakeIterator();
    await this.#settleLoops(by);
    this.#outbound = [];
    if (by === "caller") return;
    // The notice comes after nats-core has parsed every frame read, and a
    // turn later: a server that answers the handshake's PING and closes at
    // once (a node shutting down) must end a connection nats-core has
    // finished setting up. Notified first, nats-core joined the dial still
    // running, which then succeeded on the closed transport, leaving a
    // client that believed it was connected and never reconnected.
    if (this.#iterating) await this.#drained;
    await new Promise((resolve) => setTimeout(resolve, 0));
    this.#closedNotice.resolve(err);
  }

  /** Ends a transport that is not (or no longer) connected, without notice. */
  #abandon(): Promise<void> {
    this.#done = true;
    if (this.#closing !== undefined) return this.#closing;
    this.#abort.abort();
    this.#closeConn();
    this.#wakeIterator();
    this.#closing = this.#settleLoops("caller");
    return this.#closing;
  }

  async #settleLoops(by: Ender): Promise<void> {
    const loops: Promise<void>[] = [];
    if (this.#connecting !== undefined) loops.push(this.#connecting);
    if (by !== "reader" && this.#reader !== undefined) loops.push(this.#reader);
    if (by !== "writer" && this.#writer !== undefined) loops.push(this.#writer);
    await Promise.allSettled(loops);
  }

  #checkOpen(): void {
    if (this.#done) throw closedWhileConnecting();
  }

  #closeConn(): void {
    if (this.#connClosed || this.#conn === undefined) return;
    this.#connClosed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the runtime (e.g. after a failed TLS upgrade).
    }
  }
}

/** Waits for `p` to settle, or `ms`, whichever comes first; never rejects. */
async function settleWithin(p: Promise<void>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([p.catch(() => {}), limit]);
  } finally {
    clearTimeout(timer);
  }
}
