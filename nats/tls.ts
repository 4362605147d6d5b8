/**
 * TLS settings given as files (the agent's `tls_*` keys, the CLI's
 * `--tlsca`/`--tlscert`/`--tlskey`/`--tlsfirst`, a `nats` CLI context's
 * `ca`/`cert`/`key`/`tls_first`) mapped to the `tls` connection option,
 * once for every program, with the files checked before any connection is
 * tried.
 *
 * @module
 */
import type { ConnectionOptions, TlsOptions } from "./core_types.ts";
import { fileReadProblem } from "./_file_problem.ts";

/** TLS settings as files: what to trust and what to present. */
export interface NatsTlsFiles {
  /** CA certificates (PEM) to trust besides the system's. */
  caFile?: string;
  /** Client certificate (PEM) for mutual TLS; needs `keyFile` and `handshakeFirst`. */
  certFile?: string;
  /** The client certificate's private key (PEM, unencrypted). */
  keyFile?: string;
  /** TLS handshake before the server's `INFO` (the server's `handshake_first`). */
  handshakeFirst?: boolean;
}

/** One of the settings of {@linkcode NatsTlsFiles}. */
export type NatsTlsSetting = keyof NatsTlsFiles;

/** The connection option that carries TLS. */
export type TlsConnectionOptions = Pick<ConnectionOptions, "tls">;

/** Options of {@linkcode NatsTlsError}. */
export interface NatsTlsErrorOptions extends ErrorOptions {
  /** The file at fault, when a file is. */
  path?: string;
  /**
   * What cannot be used, as it was given, e.g. `"--tlsca"` or
   * `"nats.tls_ca_file"`.
   *
   * @default {`tls.${setting}`}
   */
  option?: string;
}

/**
 * TLS settings that cannot work: a certificate without its key (or the
 * reverse), a client certificate without a TLS-first handshake, or a file
 * that is missing, unreadable or not PEM. A `TypeError` (a bad argument).
 * The message names the setting and the file and never quotes what is in
 * the file.
 *
 * @example
 * ```ts
 * import { NatsTlsError, tlsConnectionOptions } from "./tls.ts";
 * await tlsConnectionOptions({ caFile: "/nonexistent/ca.pem" }).catch((error) => {
 *   error instanceof NatsTlsError; // true
 *   error.message; // 'Cannot use tls.caFile "/nonexistent/ca.pem": the file does not exist'
 * });
 * ```
 */
export class NatsTlsError extends TypeError {
  /**
   * The setting to fix: the file at fault, the missing half of a client
   * certificate, or `handshakeFirst` to turn on.
   */
  readonly setting: NatsTlsSetting;
  /**
   * What the message says cannot be used, as it was given (`--tlscert`,
   * `tls.caFile`, …): the file at fault, the half of a client certificate
   * given alone, or the client certificate that needs `handshakeFirst`.
   */
  readonly option: string;
  /** The file at fault, when a file is. */
  readonly path?: string;
  /** What is wrong, without the option and the file. */
  readonly problem: string;

  /** Builds the error: `Cannot use <option> "<path>": <problem>`. */
  constructor(
    setting: NatsTlsSetting,
    problem: string,
    options?: NatsTlsErrorOptions,
  ) {
    const option = options?.option ?? DEFAULT_NAMES[setting];
    const path = options?.path;
    super(
      `Cannot use ${option}${
        path === undefined ? "" : ` ${JSON.stringify(path)}`
      }: ${problem}`,
      options,
    );
    this.name = "NatsTlsError";
    this.setting = setting;
    this.option = option;
    this.path = path;
    this.problem = problem;
  }
}

/** Options of {@linkcode tlsConnectionOptions} and {@linkcode checkTlsSettings}. */
export interface TlsSettingsOptions {
  /**
   * What each setting is called where it was given, for messages: e.g.
   * `{ caFile: "--tlsca", handshakeFirst: "--tlsfirst" }`, or
   * `{ caFile: "nats.tls_ca_file", handshakeFirst: "nats.tls_handshake_first = true" }`.
   * A `handshakeFirst` name says how to turn it on.
   *
   * @default {tls.caFile, tls.certFile, tls.keyFile, tls.handshakeFirst: true}
   */
  names?: Partial<Record<NatsTlsSetting, string>>;
}

const DEFAULT_NAMES: Readonly<Record<NatsTlsSetting, string>> = {
  caFile: "tls.caFile",
  certFile: "tls.certFile",
  keyFile: "tls.keyFile",
  handshakeFirst: "tls.handshakeFirst: true",
};

/**
 * Why a client certificate needs a TLS-first handshake, for messages.
 *
 * @example
 * ```ts
 * import { MUTUAL_TLS_NEEDS_HANDSHAKE_FIRST } from "./tls.ts";
 * MUTUAL_TLS_NEEDS_HANDSHAKE_FIRST.includes("Deno.startTls"); // true
 * ```
 */
export const MUTUAL_TLS_NEEDS_HANDSHAKE_FIRST: string =
  "Deno cannot present a client certificate when it upgrades a plain " +
  "connection to TLS (Deno.startTls), so mutual TLS needs the TLS " +
  "handshake first, and handshake_first in the server's tls block";

/**
 * Checks the settings among themselves, without reading any file: a
 * certificate needs its key and the reverse, and a client certificate needs
 * `handshakeFirst` (see {@linkcode MUTUAL_TLS_NEEDS_HANDSHAKE_FIRST}).
 *
 * @throws {NatsTlsError} naming the setting to fix.
 * @example
 * ```ts
 * import { checkTlsSettings } from "./tls.ts";
 * checkTlsSettings({ caFile: "ca.pem" }); // fine
 * try {
 *   checkTlsSettings({ certFile: "device.pem", keyFile: "device-key.pem" });
 * } catch (error) {
 *   (error as Error).message; // "Cannot use tls.certFile: a client certificate needs tls.handshakeFirst: true: …"
 * }
 * ```
 */
export function checkTlsSettings(
  files: NatsTlsFiles,
  options: TlsSettingsOptions = {},
): void {
  const names = { ...DEFAULT_NAMES, ...options.names };
  const { certFile, keyFile, handshakeFirst } = files;
  if (certFile !== undefined && keyFile === undefined) {
    throw new NatsTlsError(
      "keyFile",
      `a client certificate needs its key: set ${names.keyFile}`,
      { option: names.certFile },
    );
  }
  if (keyFile !== undefined && certFile === undefined) {
    throw new NatsTlsError(
      "certFile",
      `a client key needs its certificate: set ${names.certFile}`,
      { option: names.keyFile },
    );
  }
  if (certFile !== undefined && handshakeFirst !== true) {
    throw new NatsTlsError(
      "handshakeFirst",
      `a client certificate needs ${names.handshakeFirst}: ${MUTUAL_TLS_NEEDS_HANDSHAKE_FIRST}`,
      { option: names.certFile },
    );
  }
}

/**
 * Maps TLS settings to the `tls` connection option, once for every program
 * (agent, CLI, library): no setting gives `{}` (TLS as the server offers
 * it); any file setting, or `handshakeFirst`, gives a `tls` object, which
 * makes TLS required. The files are read and checked here, so a bad one
 * fails before any connection is tried: each must be readable and PEM (CA
 * and client certificates `-----BEGIN CERTIFICATE-----`, the key an
 * unencrypted `PRIVATE KEY`); the connection reads them again at every
 * dial, so renewed files are picked up on reconnect.
 *
 * @throws {NatsTlsError} for settings that cannot work (see
 *   {@linkcode checkTlsSettings}) or a file that is missing, unreadable or
 *   not what it should be.
 * @example
 * ```ts ignore
 * import { tlsConnectionOptions } from "./tls.ts";
 * import { connect } from "./connect.ts";
 * const nc = await connect({
 *   servers: "tls://nats.example.com",
 *   ...await tlsConnectionOptions({
 *     caFile: "/etc/fleet/ca.pem",
 *     certFile: "/etc/fleet/device.pem",
 *     keyFile: "/etc/fleet/device-key.pem",
 *     handshakeFirst: true,
 *   }),
 * });
 * ```
 */
export async function tlsConnectionOptions(
  files: NatsTlsFiles,
  options: TlsSettingsOptions = {},
): Promise<TlsConnectionOptions> {
  checkTlsSettings(files, options);
  const names = { ...DEFAULT_NAMES, ...options.names };
  const { caFile, certFile, keyFile, handshakeFirst } = files;
  const tls: TlsOptions = {};
  if (caFile !== undefined) {
    await checkPemFile(caFile, "caFile", names.caFile);
    tls.caFile = caFile;
  }
  if (certFile !== undefined && keyFile !== undefined) {
    await checkPemFile(certFile, "certFile", names.certFile);
    await checkPemFile(keyFile, "keyFile", names.keyFile);
    tls.certFile = certFile;
    tls.keyFile = keyFile;
  }
  if (handshakeFirst === true) tls.handshakeFirst = true;
  return Object.keys(tls).length === 0 ? {} : { tls };
}

/**
 * Checks the files and inline PEM of a `tls` connection option as
 * {@linkcode tlsConnectionOptions} does, for `connect()`.
 *
 * @throws {NatsTlsError} naming the option (`tls.caFile`, `tls.ca`, …).
 */
export async function checkTlsOptionContents(
  tls: TlsOptions | null | undefined,
): Promise<void> {
  if (!tls) return;
  const files = [
    ["caFile", tls.caFile],
    ["certFile", tls.certFile],
    ["keyFile", tls.keyFile],
  ] as const;
  for (const [setting, path] of files) {
    if (path) await checkPemFile(path, setting, DEFAULT_NAMES[setting]);
  }
  const inline = [
    ["caFile", "ca", tls.ca],
    ["certFile", "cert", tls.cert],
    ["keyFile", "key", tls.key],
  ] as const;
  for (const [setting, option, text] of inline) {
    if (!text) continue;
    const problem = pemProblem(text, setting === "keyFile" ? "key" : "cert");
    if (problem !== undefined) {
      throw new NatsTlsError(setting, problem, { option: `tls.${option}` });
    }
  }
}

async function checkPemFile(
  path: string,
  setting: "caFile" | "certFile" | "keyFile",
  name: string,
): Promise<void> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (cause) {
    const problem = fileReadProblem(cause);
    throw new NatsTlsError(setting, problem, { option: name, path, cause });
  }
  const text = new TextDecoder().decode(bytes);
  const problem = pemProblem(text, setting === "keyFile" ? "key" : "cert");
  if (problem !== undefined) {
    throw new NatsTlsError(setting, problem, { option: name, path });
  }
}

const BEGIN = /^-----BEGIN ([A-Z0-9 ]+)-----\s*$/gm;
const KEY_LABELS = ["PRIVATE KEY", "EC PRIVATE KEY", "RSA PRIVATE KEY"];

/**
 * What is wrong with `text` as a PEM certificate (`cert`) or private key
 * (`key`), or `undefined` when it looks right. Only PEM labels are read;
 * nothing of the content is ever quoted.
 */
function pemProblem(text: string, want: "cert" | "key"): string | undefined {
  if (text.trim() === "") return "the file is empty";
  const labels = [...text.matchAll(BEGIN)].map((match) => match[1]);
  const closed = (label: string) => text.includes(`-----END ${label}-----`);
  if (want === "cert") {
    if (labels.includes("CERTIFICATE") && closed("CERTIFICATE")) {
      return undefined;
    }
    if (labels.some((label) => label.endsWith("PRIVATE KEY"))) {
      return "it holds a private key, not a certificate";
    }
    return labels.length === 0
      ? 'it is not PEM: no "-----BEGIN CERTIFICATE-----" line (a DER ' +
        "file converts with: openssl x509 -inform der -in <file> -out <file>.pem)"
      : `it holds no certificate (PEM blocks found: ${
        [...new Set(labels)].join(", ")
      })`;
  }
  const key = labels.find((label) => KEY_LABELS.includes(label));
  if (key !== undefined && closed(key)) return undefined;
  if (labels.includes("ENCRYPTED PRIVATE KEY")) {
    return "the private key is encrypted, which Deno cannot use: decrypt it " +
      "(openssl pkey -in <file> -out <new file>)";
  }
  if (labels.includes("CERTIFICATE")) {
    return "it holds a certificate, not a private key";
  }
  return labels.length === 0
    ? 'it is not PEM: no "-----BEGIN PRIVATE KEY-----" line'
    : `it holds no private key (PEM blocks found: ${
      [...new Set(labels)].join(", ")
    })`;
}
