// The TLS of a stack brought up with `tls: true`: a throwaway CA, the
// server's certificate (127.0.0.1, ::1, localhost) and one client
// certificate per device and for the operator, in `<dir>/tls`; nats-server
// with mutual TLS and TLS first. Private to e2e/.
import type { NatsTlsFiles } from "../nats/mod.ts";
import type { NatsServerTlsOptions } from "../testing/nats_server_config.ts";
import { type TlsFiles, writeTlsFiles } from "../testing/tls_files.ts";

/** The client certificate name of the operator (the admin user). */
export const OPERATOR_CERT = "admin";

/** A stack's TLS files and who uses which. */
export class StackTls {
  readonly #files: TlsFiles;

  private constructor(files: TlsFiles) {
    this.#files = files;
  }

  /** Writes the certificates into `<dir>/tls`. */
  static async write(
    dir: string,
    deviceIds: readonly string[],
  ): Promise<StackTls> {
    return new StackTls(
      await writeTlsFiles(`${dir}/tls`, {
        clients: [OPERATOR_CERT, ...deviceIds],
      }),
    );
  }

  /** nats-server's tls block: mutual TLS (`verify`), TLS first. */
  get server(): NatsServerTlsOptions {
    return {
      ...this.#files.server,
      caFile: this.#files.caFile,
      verify: true,
      handshakeFirst: true,
    };
  }

  /** The TLS settings of the client named `name` (a device id or the operator). */
  client(name: string): NatsTlsFiles {
    const pair = this.#files.clients[name];
    if (pair === undefined) {
      throw new RangeError(`No client certificate for "${name}"`);
    }
    return {
      caFile: this.#files.caFile,
      certFile: pair.certFile,
      keyFile: pair.keyFile,
      handshakeFirst: true,
    };
  }
}
