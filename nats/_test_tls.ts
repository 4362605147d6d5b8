/**
 * TLS fixtures for the tests of `nats/`: throwaway certificates (made by
 * `testing/`'s certificate authority, on WebCrypto) and a nats-server with a
 * `tls` block. Test-only, not published.
 *
 * @module
 */
import { NatsServerProcess, writeTlsTestFiles } from "../testing/mod.ts";

/** Paths of the files {@linkcode makeCerts} writes. */
export interface TestCerts {
  /** The directory holding them all. */
  dir: string;
  /** The CA that signed the server and client certificates (PEM). */
  caFile: string;
  /** Server certificate for 127.0.0.1, ::1 and localhost. */
  serverCert: string;
  /** Its key. */
  serverKey: string;
  /** Server certificate for the name localhost only, no IP address. */
  nameOnlyCert: string;
  /** Its key. */
  nameOnlyKey: string;
  /** Server certificate for 127.0.0.1, ::1 and localhost that expired yesterday. */
  expiredCert: string;
  /** Its key. */
  expiredKey: string;
  /** A client certificate (CN=client) signed by the CA. */
  clientCert: string;
  /** Its key. */
  clientKey: string;
  /** A client certificate signed by another CA. */
  strangerCert: string;
  /** Its key. */
  strangerKey: string;
  /** A file that is not PEM. */
  notPemFile: string;
}

/** Writes a CA, server certificates and client certificates into `dir`. */
export async function makeCerts(dir: string): Promise<TestCerts> {
  const files = await writeTlsTestFiles(dir, { clients: ["client"] });
  const { bad } = files;
  return {
    dir,
    caFile: files.caFile,
    serverCert: files.server.certFile,
    serverKey: files.server.keyFile,
    nameOnlyCert: bad.localhostOnlyServer.certFile,
    nameOnlyKey: bad.localhostOnlyServer.keyFile,
    expiredCert: bad.expiredServer.certFile,
    expiredKey: bad.expiredServer.keyFile,
    clientCert: files.clients.client.certFile,
    clientKey: files.clients.client.keyFile,
    strangerCert: bad.strangerClient.certFile,
    strangerKey: bad.strangerClient.keyFile,
    notPemFile: bad.notPemFile,
  };
}

/** Options of {@linkcode startTlsServer}. */
export interface TlsServerOptions {
  /** Require a client certificate of the CA (`verify: true`). */
  verify?: boolean;
  /** TLS before `INFO` (`handshake_first: true`). */
  handshakeFirst?: boolean;
  /** More top-level config, e.g. `"allow_non_tls: true"`. */
  extraConfig?: string;
  /** Serve the certificate for the name localhost only. */
  nameOnly?: boolean;
  /** Serve the certificate that has expired. */
  expired?: boolean;
}

/**
 * A nats-server in `certs.dir` with TLS (its certificate signed by
 * `certs.caFile`, which also verifies client certificates when asked to).
 */
export async function startTlsServer(
  certs: TestCerts,
  options: TlsServerOptions = {},
): Promise<NatsServerProcess> {
  const [certFile, keyFile] = options.nameOnly
    ? [certs.nameOnlyCert, certs.nameOnlyKey]
    : options.expired
    ? [certs.expiredCert, certs.expiredKey]
    : [certs.serverCert, certs.serverKey];
  return await NatsServerProcess.start({
    dir: certs.dir,
    config: {
      tls: {
        certFile,
        keyFile,
        caFile: certs.caFile,
        verify: options.verify,
        handshakeFirst: options.handshakeFirst,
      },
      extraConfig: options.extraConfig,
    },
  });
}
