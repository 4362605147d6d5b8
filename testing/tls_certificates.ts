/**
 * Throwaway X.509 certificates for tests and e2e stacks, made with WebCrypto
 * (ECDSA P-256, SHA-256): a {@linkcode TestCertificateAuthority} and the
 * server and client certificates it signs, as PEM text. Nothing but Deno is
 * needed, on any machine.
 *
 * @module
 */
import {
  ascii,
  bitString,
  boolean,
  explicit,
  implicit,
  ipAddressBytes,
  namedBits,
  octetString,
  oid,
  pem,
  sequence,
  set,
  smallInteger,
  time,
  unsignedInteger,
  utf8String,
} from "./_der.ts";

/** A certificate and its private key, as PEM text. */
export interface PemCertificate {
  /** The certificate (`-----BEGIN CERTIFICATE-----`). */
  cert: string;
  /** Its private key, PKCS #8 (`-----BEGIN PRIVATE KEY-----`), unencrypted. */
  key: string;
}

/** When a certificate is valid. */
export interface Validity {
  /**
   * Not before this time.
   *
   * @default {an hour ago (room for a clock that is a little behind)}
   */
  notBefore?: Date;
  /**
   * Not after this time.
   *
   * @default {a day from now}
   */
  notAfter?: Date;
}

/** Options of {@linkcode TestCertificateAuthority.issue}. */
export interface IssueOptions extends Validity {
  /** The subject's common name, e.g. `"fleet-device-00"`. */
  commonName: string;
  /**
   * Host names it is valid for (subject alternative names).
   *
   * @default {[]}
   */
  dnsNames?: readonly string[];
  /**
   * IP addresses it is valid for, IPv4 or IPv6 (subject alternative names).
   *
   * @default {[]}
   */
  ipAddresses?: readonly string[];
}

/** What a certificate may be used for. */
export type CertificateUse = "server" | "client";

const ECDSA = { name: "ECDSA", namedCurve: "P-256" } as const;
const SIGN = { name: "ECDSA", hash: "SHA-256" } as const;
const ECDSA_WITH_SHA256 = sequence(oid("1.2.840.10045.4.3.2"));
const COMMON_NAME = "2.5.4.3";
const EXT = {
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
} as const;
const KEY_PURPOSE = {
  server: "1.3.6.1.5.5.7.3.1",
  client: "1.3.6.1.5.5.7.3.2",
} as const;
const HOUR_MS = 3_600_000;

/**
 * A certificate authority for tests: a self-signed CA certificate whose key
 * signs server certificates (`serverAuth`) and client certificates
 * (`clientAuth`). Keys are ECDSA P-256; certificates are X.509 v3 with the
 * extensions rustls (Deno) and Go (nats-server) check: basic constraints,
 * key usage, extended key usage, subject alternative names, key ids.
 *
 * @example
 * ```ts
 * import { TestCertificateAuthority } from "./tls_certificates.ts";
 * const ca = await TestCertificateAuthority.create("fleet-test-ca");
 * const server = await ca.issue("server", {
 *   commonName: "nats",
 *   ipAddresses: ["127.0.0.1"],
 *   dnsNames: ["localhost"],
 * });
 * server.cert.startsWith("-----BEGIN CERTIFICATE-----"); // true
 * ```
 */
export class TestCertificateAuthority {
  readonly #keys: CryptoKeyPair;
  readonly #name: Uint8Array;
  readonly #keyId: Uint8Array;

  /** The CA certificate (PEM): what clients and servers trust. */
  readonly cert: string;

  private constructor(
    keys: CryptoKeyPair,
    name: Uint8Array,
    keyId: Uint8Array,
    cert: string,
  ) {
    this.#keys = keys;
    this.#name = name;
    this.#keyId = keyId;
    this.cert = cert;
  }

  /** Makes a CA named `commonName` with a new key. */
  static async create(
    commonName: string,
    validity: Validity = {},
  ): Promise<TestCertificateAuthority> {
    const keys = await newKeys();
    const name = distinguishedName(commonName);
    const keyId = await keyIdentifier(keys.publicKey);
    const der = await signCertificate({
      issuer: name,
      subject: name,
      subjectKey: keys.publicKey,
      signer: keys.privateKey,
      validity,
      extensions: [
        extension(EXT.basicConstraints, sequence(boolean(true)), true),
        // keyCertSign (5), cRLSign (6)
        extension(EXT.keyUsage, namedBits([5, 6]), true),
        extension(EXT.subjectKeyIdentifier, octetString(keyId)),
      ],
    });
    return new TestCertificateAuthority(
      keys,
      name,
      keyId,
      pem("CERTIFICATE", der),
    );
  }

  /**
   * Issues a certificate for `use` with a new key, signed by this CA.
   *
   * @throws {TypeError} for an IP address that is not one.
   */
  async issue(
    use: CertificateUse,
    options: IssueOptions,
  ): Promise<PemCertificate> {
    const keys = await newKeys();
    const names = [
      ...(options.dnsNames ?? []).map((name) => implicit(2, ascii(name))),
      ...(options.ipAddresses ?? []).map((ip) =>
        implicit(7, ipAddressBytes(ip))
      ),
    ];
    const der = await signCertificate({
      issuer: this.#name,
      subject: distinguishedName(options.commonName),
      subjectKey: keys.publicKey,
      signer: this.#keys.privateKey,
      validity: options,
      extensions: [
        extension(EXT.basicConstraints, sequence(), true),
        // digitalSignature (0): what an ECDSA key does in a TLS handshake.
        extension(EXT.keyUsage, namedBits([0]), true),
        extension(EXT.extKeyUsage, sequence(oid(KEY_PURPOSE[use]))),
        ...(names.length > 0
          ? [extension(EXT.subjectAltName, sequence(...names))]
          : []),
        extension(
          EXT.subjectKeyIdentifier,
          octetString(await keyIdentifier(keys.publicKey)),
        ),
        extension(
          EXT.authorityKeyIdentifier,
          sequence(implicit(0, this.#keyId)),
        ),
      ],
    });
    const pkcs8 = new Uint8Array(
      await crypto.subtle.exportKey("pkcs8", keys.privateKey),
    );
    return { cert: pem("CERTIFICATE", der), key: pem("PRIVATE KEY", pkcs8) };
  }
}

async function newKeys(): Promise<CryptoKeyPair> {
  return await crypto.subtle.generateKey(ECDSA, true, ["sign", "verify"]);
}

function distinguishedName(commonName: string): Uint8Array {
  return sequence(set(sequence(oid(COMMON_NAME), utf8String(commonName))));
}

/** SHA-1 of the public key's bits, as RFC 5280 suggests for key ids. */
async function keyIdentifier(publicKey: CryptoKey): Promise<Uint8Array> {
  const raw = await crypto.subtle.exportKey("raw", publicKey);
  return new Uint8Array(await crypto.subtle.digest("SHA-1", raw));
}

function extension(
  id: string,
  value: Uint8Array,
  critical = false,
): Uint8Array {
  return sequence(
    oid(id),
    ...(critical ? [boolean(true)] : []),
    octetString(value),
  );
}

interface CertificateFields {
  issuer: Uint8Array;
  subject: Uint8Array;
  subjectKey: CryptoKey;
  signer: CryptoKey;
  validity: Validity;
  extensions: Uint8Array[];
}

async function signCertificate(fields: CertificateFields): Promise<Uint8Array> {
  const now = Date.now();
  const notBefore = fields.validity.notBefore ?? new Date(now - HOUR_MS);
  const notAfter = fields.validity.notAfter ?? new Date(now + 24 * HOUR_MS);
  const serial = crypto.getRandomValues(new Uint8Array(16));
  serial[0] = (serial[0] & 0x7f) | 0x01; // positive, and no leading zero
  const spki = new Uint8Array(
    await crypto.subtle.exportKey("spki", fields.subjectKey),
  );
  const tbs = sequence(
    explicit(0, smallInteger(2)), // v3
    unsignedInteger(serial),
    ECDSA_WITH_SHA256,
    fields.issuer,
    sequence(time(notBefore), time(notAfter)),
    fields.subject,
    spki,
    explicit(3, sequence(...fields.extensions)),
  );
  const p1363 = new Uint8Array(
    await crypto.subtle.sign(SIGN, fields.signer, tbs),
  );
  // WebCrypto gives r || s; X.509 wants SEQUENCE { INTEGER r, INTEGER s }.
  const signature = sequence(
    unsignedInteger(p1363.subarray(0, 32)),
    unsignedInteger(p1363.subarray(32)),
  );
  return sequence(tbs, ECDSA_WITH_SHA256, bitString(signature));
}
