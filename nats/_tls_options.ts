/**
 * The `tls` connection option, checked and read for Deno's TLS functions.
 *
 * @module
 */
import { errors } from "@nats-io/nats-core/internal";
import type { TlsOptions } from "./core_types.ts";

/** Key material for TLS, read from {@linkcode TlsOptions}. */
export interface TlsMaterial {
  /** CA certificates (PEM) to trust besides the system's. */
  caCerts?: string[];
  /** Client certificate (PEM). */
  cert?: string;
  /** Its private key (PEM). */
  key?: string;
}

/** Why a client certificate needs `handshakeFirst`, for error messages. */
export const CLIENT_CERT_NEEDS_HANDSHAKE_FIRST =
  "Deno's TLS upgrade of a plain connection (Deno.startTls) cannot present " +
  "one, so mutual TLS needs the server's handshake_first and " +
  "tls.handshakeFirst: true";

/**
 * Checks `tls` for what cannot work: a certificate without its key (or the
 * reverse), a value given both inline and as a file (`ca` and `caFile`,
 * `cert` and `certFile`, `key` and `keyFile`), or a client certificate
 * without `handshakeFirst`.
 *
 * @throws {TypeError} naming the options at fault.
 */
export function checkTlsOptions(tls: TlsOptions | null | undefined): void {
  if (!tls) return;
  const fail = (problem: string): never => {
    throw new TypeError(`Invalid tls option: ${problem}`);
  };
  for (const [inline, file] of PAIRS) {
    if (given(tls[inline]) && given(tls[file])) {
      fail(`tls.${inline} and tls.${file} are both set; give one`);
    }
  }
  const cert = given(tls.cert) || given(tls.certFile);
  const key = given(tls.key) || given(tls.keyFile);
  if (cert && !key) {
    fail("a client certificate needs its key: set tls.keyFile (or tls.key)");
  }
  if (key && !cert) {
    fail(
      "a client key needs its certificate: set tls.certFile (or tls.cert)",
    );
  }
  if (cert && tls.handshakeFirst !== true) {
    fail(
      `a client certificate needs tls.handshakeFirst: true: ${CLIENT_CERT_NEEDS_HANDSHAKE_FIRST}`,
    );
  }
}

/** Whether an option has a value: not missing, not empty. */
function given(value: string | undefined): boolean {
  return value !== undefined && value !== "";
}

const PAIRS = [
  ["ca", "caFile"],
  ["cert", "certFile"],
  ["key", "keyFile"],
] as const;

/**
 * Checks `tls` (see {@linkcode checkTlsOptions}) and reads the files it
 * names.
 *
 * @throws {TypeError} for options that cannot work.
 * @throws {errors.ConnectionError} for a file that cannot be read.
 */
export async function readTlsMaterial(
  tls: TlsOptions | null | undefined,
): Promise<TlsMaterial> {
  checkTlsOptions(tls);
  if (!tls) return {};
  const ca = tls.caFile ? await readTlsFile(tls.caFile, "caFile") : tls.ca;
  const cert = tls.certFile
    ? await readTlsFile(tls.certFile, "certFile")
    : tls.cert;
  const key = tls.keyFile ? await readTlsFile(tls.keyFile, "keyFile") : tls.key;
  return { caCerts: ca ? [ca] : undefined, cert, key };
}

async function readTlsFile(path: string, option: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (cause) {
    throw new errors.ConnectionError(
      `Cannot read tls.${option} ${JSON.stringify(path)}: ${
        (cause as Error).message
      }`,
      { cause },
    );
  }
}
