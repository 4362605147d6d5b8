/**
 * TLS fixtures for the tests of `nats/`: throwaway certificates made with
 * `openssl` and a nats-server with a `tls` block. Test-only, not published.
 *
 * @module
 */
import { NatsServerProcess, quoteNatsConfigString } from "../testing/mod.ts";

/** Whether `openssl` can be run; TLS tests are skipped without it. */
export function hasOpenssl(): boolean {
  try {
    return new Deno.Command("openssl", {
      args: ["version"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

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
  /** A client certificate (CN=fleet-test-client) signed by the CA. */
  clientCert: string;
  /** Its key. */
  clientKey: string;
  /** A client certificate signed by another CA. */
  strangerCert: string;
  /** Its key. */
  strangerKey: string;
}

const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];

/** Writes a CA, a server certificate and client certificates into `dir`. */
export async function makeCerts(dir: string): Promise<TestCerts> {
  const run = async (...args: string[]) => {
    const out = await new Deno.Command("openssl", {
      args,
      cwd: dir,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (!out.success) {
      throw new Error(
        `openssl ${args[0]}: ${new TextDecoder().decode(out.stderr)}`,
      );
    }
  };
  const ca = async (name: string) =>
    await run(
      "req",
      "-x509",
      ...EC,
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.pem`,
      "-days",
      "1",
      "-subj",
      `/CN=${name}`,
    );
  const signed = async (name: string, signer: string, ext: string) => {
    await Deno.writeTextFile(`${dir}/${name}.ext`, ext);
    await run(
      "req",
      ...EC,
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      `/CN=fleet-test-${name}`,
    );
    await run(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${signer}.pem`,
      "-CAkey",
      `${signer}.key`,
      "-CAcreateserial",
      "-out",
      `${name}.pem`,
      "-days",
      "1",
      "-extfile",
      `${name}.ext`,
    );
  };
  await ca("ca");
  await ca("other-ca");
  await signed(
    "server",
    "ca",
    "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\n" +
      "extendedKeyUsage=serverAuth\n",
  );
  await signed(
    "name-only",
    "ca",
    "subjectAltName=DNS:localhost\nextendedKeyUsage=serverAuth\n",
  );
  await signed("client", "ca", "extendedKeyUsage=clientAuth\n");
  await signed("stranger", "other-ca", "extendedKeyUsage=clientAuth\n");
  return {
    dir,
    caFile: `${dir}/ca.pem`,
    serverCert: `${dir}/server.pem`,
    serverKey: `${dir}/server.key`,
    nameOnlyCert: `${dir}/name-only.pem`,
    nameOnlyKey: `${dir}/name-only.key`,
    clientCert: `${dir}/client.pem`,
    clientKey: `${dir}/client.key`,
    strangerCert: `${dir}/stranger.pem`,
    strangerKey: `${dir}/stranger.key`,
  };
}

/** Options of {@linkcode startTlsServer}. */
export interface TlsServerOptions {
  /** More lines of its `tls` block, e.g. `"verify: true"`, `"handshake_first: true"`. */
  tls?: string[];
  /** More top-level config, e.g. `"allow_non_tls: true"`. */
  extraConfig?: string;
  /** Serve the certificate for the name localhost only. */
  nameOnly?: boolean;
}

/**
 * A nats-server in `certs.dir` with TLS (its certificate signed by
 * `certs.caFile`, which also verifies client certificates when asked to).
 */
export async function startTlsServer(
  certs: TestCerts,
  options: TlsServerOptions = {},
): Promise<NatsServerProcess> {
  const q = quoteNatsConfigString;
  const lines = [
    `cert_file: ${q(options.nameOnly ? certs.nameOnlyCert : certs.serverCert)}`,
    `key_file: ${q(options.nameOnly ? certs.nameOnlyKey : certs.serverKey)}`,
    `ca_file: ${q(certs.caFile)}`,
    ...options.tls ?? [],
  ];
  return await NatsServerProcess.start({
    dir: certs.dir,
    config: {
      extraConfig: `tls { ${lines.join(", ")} }\n${options.extraConfig ?? ""}`,
    },
  });
}
