// The tls_* keys of the agent config's [nats] table: read, paths resolved
// against the config file's folder, checked among themselves here and
// against the files at load (config.ts). Private to agent/.
import { dirname, isAbsolute, resolve } from "node:path";
import {
  checkTlsSettings,
  NatsTlsError,
  type NatsTlsFiles,
  type NatsTlsSetting,
  type TlsSettingsOptions,
} from "../nats/mod.ts";
import { describe, type Fail, type Table } from "./_config_values.ts";

/** The config key of each TLS setting. */
export const TLS_KEYS: Readonly<Record<NatsTlsSetting, string>> = {
  caFile: "nats.tls_ca_file",
  certFile: "nats.tls_cert_file",
  keyFile: "nats.tls_key_file",
  handshakeFirst: "nats.tls_handshake_first",
};

/** How messages of nats/tls.ts name the agent's keys. */
export const TLS_NAMES: TlsSettingsOptions["names"] = {
  caFile: `"${TLS_KEYS.caFile}"`,
  certFile: `"${TLS_KEYS.certFile}"`,
  keyFile: `"${TLS_KEYS.keyFile}"`,
  handshakeFirst: `"${TLS_KEYS.handshakeFirst}" = true`,
};

const FILE_KEYS = [
  ["tls_ca_file", "caFile"],
  ["tls_cert_file", "certFile"],
  ["tls_key_file", "keyFile"],
] as const;

/**
 * Reads the tls_* keys of `nats`; `undefined` when they ask for nothing
 * (none set, or only `tls_handshake_first = false`).
 */
export function tlsConfig(
  nats: Table,
  path: string,
  fail: Fail,
): NatsTlsFiles | undefined {
  const tls: NatsTlsFiles = {};
  for (const [key, setting] of FILE_KEYS) {
    const value = nats[key];
    if (value === undefined) continue;
    if (typeof value !== "string" || value === "") {
      fail(
        `key "nats.${key}" must be a non-empty string (a PEM file), got ${
          describe(value)
        }`,
        `nats.${key}`,
      );
    }
    tls[setting] = isAbsolute(value as string)
      ? value as string
      : resolve(dirname(path), value as string);
  }
  const first = nats.tls_handshake_first;
  if (first !== undefined && typeof first !== "boolean") {
    fail(
      `key "nats.tls_handshake_first" must be true or false, got ${
        describe(first)
      }`,
      "nats.tls_handshake_first",
    );
  }
  if (first === true) tls.handshakeFirst = true;
  try {
    checkTlsSettings(tls, { names: TLS_NAMES });
  } catch (error) {
    if (!(error instanceof NatsTlsError)) throw error;
    fail(tlsProblem(error), TLS_KEYS[error.setting], { cause: error });
  }
  return Object.keys(tls).length === 0 ? undefined : tls;
}

/** The message of a config error for `error`: `key "…" (file "…"): …`. */
export function tlsProblem(error: NatsTlsError): string {
  return `key ${error.option}${
    error.path === undefined ? "" : ` (file ${JSON.stringify(error.path)})`
  }: ${error.problem}`;
}
