/**
 * Certificate files for a TLS nats-server and its clients, written into a
 * directory: a throwaway CA, a server certificate for 127.0.0.1, ::1 and
 * localhost, and one client certificate per name. For tests, also the bad
 * certificates TLS must refuse.
 *
 * @module
 */
import {
  type PemCertificate,
  TestCertificateAuthority,
} from "./tls_certificates.ts";

/** A certificate file and its key file. */
export interface CertificateFiles {
  /** The certificate (PEM). */
  certFile: string;
  /** Its private key (PEM, PKCS #8, unencrypted, mode 0600). */
  keyFile: string;
}

/** What {@linkcode writeTlsFiles} wrote. */
export interface TlsFiles {
  /** The directory holding them all. */
  dir: string;
  /** The CA certificate: what the server and the clients trust. */
  caFile: string;
  /** The server's certificate, for 127.0.0.1, ::1 and localhost. */
  server: CertificateFiles;
  /** A client certificate per name given, signed by the same CA. */
  clients: Readonly<Record<string, CertificateFiles>>;
}

/** Options of {@linkcode writeTlsFiles}. */
export interface WriteTlsFilesOptions {
  /**
   * Names of the client certificates to make (their common names and file
   * names): letters, digits, `_` and `-`.
   *
   * @default {[]}
   */
  clients?: readonly string[];
}

/** The addresses and name of the server certificate. */
export const SERVER_CERT_NAMES = {
  ipAddresses: ["127.0.0.1", "::1"],
  dnsNames: ["localhost"],
} as const;

/**
 * Makes a CA, a server certificate (subject alternative names 127.0.0.1,
 * ::1 and localhost) and a client certificate per name in
 * `options.clients`, and writes them into `dir`: `ca.pem`, `server.pem`
 * and `server-key.pem`, `<name>.pem` and `<name>-key.pem`. The CA's own key
 * is never written. Certificates are valid from an hour ago for a day.
 *
 * @throws {TypeError} for a client name that is not a safe file name.
 * @example
 * ```ts ignore
 * import { writeTlsFiles } from "./tls_files.ts";
 * const files = await writeTlsFiles("/tmp/stack/tls", { clients: ["admin"] });
 * files.clients.admin.certFile; // "/tmp/stack/tls/admin.pem"
 * ```
 */
export async function writeTlsFiles(
  dir: string,
  options: WriteTlsFilesOptions = {},
): Promise<TlsFiles> {
  const ca = await TestCertificateAuthority.create("fleet-test-ca");
  return await writeWithCa(ca, dir, options);
}

/** The bad certificates of {@linkcode writeTlsTestFiles}. */
export interface BadTlsFiles {
  /** A server certificate of the right CA and names whose validity ended yesterday. */
  expiredServer: CertificateFiles;
  /** A server certificate for the name localhost only: wrong for 127.0.0.1. */
  localhostOnlyServer: CertificateFiles;
  /** A client certificate signed by another CA. */
  strangerClient: CertificateFiles;
  /** The other CA's certificate. */
  strangerCaFile: string;
  /** A file that is not PEM at all (the bytes of a DER certificate). */
  notPemFile: string;
}

/**
 * {@linkcode writeTlsFiles}, plus the certificates TLS must refuse (see
 * {@linkcode BadTlsFiles}), in the same `dir`.
 *
 * @example
 * ```ts ignore
 * import { writeTlsTestFiles } from "./tls_files.ts";
 * const files = await writeTlsTestFiles(dir, { clients: ["client"] });
 * files.bad.expiredServer.certFile;
 * ```
 */
export async function writeTlsTestFiles(
  dir: string,
  options: WriteTlsFilesOptions = {},
): Promise<TlsFiles & { bad: BadTlsFiles }> {
  const ca = await TestCertificateAuthority.create("fleet-test-ca");
  const files = await writeWithCa(ca, dir, options);
  const day = 24 * 3_600_000;
  const now = Date.now();
  const expired = await ca.issue("server", {
    commonName: "fleet-test-expired-server",
    ...SERVER_CERT_NAMES,
    notBefore: new Date(now - 2 * day),
    notAfter: new Date(now - day),
  });
  const localhostOnly = await ca.issue("server", {
    commonName: "fleet-test-localhost-server",
    dnsNames: ["localhost"],
  });
  const other = await TestCertificateAuthority.create("fleet-test-other-ca");
  const stranger = await other.issue("client", {
    commonName: "fleet-test-stranger",
  });
  const strangerCaFile = `${dir}/other-ca.pem`;
  await Deno.writeTextFile(strangerCaFile, other.cert);
  const notPemFile = `${dir}/not-pem.der`;
  await Deno.writeFile(notPemFile, derOf(other.cert));
  return {
    ...files,
    bad: {
      expiredServer: await writePair(dir, "expired-server", expired),
      localhostOnlyServer: await writePair(
        dir,
        "localhost-server",
        localhostOnly,
      ),
      strangerClient: await writePair(dir, "stranger", stranger),
      strangerCaFile,
      notPemFile,
    },
  };
}

async function writeWithCa(
  ca: TestCertificateAuthority,
  dir: string,
  options: WriteTlsFilesOptions,
): Promise<TlsFiles> {
  const names = options.clients ?? [];
  for (const name of names) {
    if (!/^[A-Za-z0-9_-]{1,128}$/.test(name) || name === "server") {
      throw new TypeError(
        `Invalid client certificate name ${
          JSON.stringify(name)
        }: expected 1–128 of A-Z a-z 0-9 _ -, not "server"`,
      );
    }
  }
  await Deno.mkdir(dir, { recursive: true });
  const caFile = `${dir}/ca.pem`;
  await Deno.writeTextFile(caFile, ca.cert);
  const server = await writePair(
    dir,
    "server",
    await ca.issue("server", {
      commonName: "fleet-test-nats-server",
      ...SERVER_CERT_NAMES,
    }),
  );
  const clients: Record<string, CertificateFiles> = {};
  await Promise.all(names.map(async (name) => {
    clients[name] = await writePair(
      dir,
      name,
      await ca.issue("client", { commonName: name }),
    );
  }));
  return { dir, caFile, server, clients };
}

async function writePair(
  dir: string,
  name: string,
  pair: PemCertificate,
): Promise<CertificateFiles> {
  const certFile = `${dir}/${name}.pem`;
  const keyFile = `${dir}/${name}-key.pem`;
  await Deno.writeTextFile(certFile, pair.cert);
  await Deno.writeTextFile(keyFile, pair.key, { mode: 0o600 });
  return { certFile, keyFile };
}

function derOf(pemText: string): Uint8Array {
  const base64 = pemText.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}
