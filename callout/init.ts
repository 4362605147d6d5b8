/**
 * Makes what a callout deployment needs, for users: the issuer account
 * nkey and the xkey (seed files, mode 0600), the callout's TOML config and
 * the nats-server config block to paste. `deno run -A callout/main.ts init
 * --dir <dir> --issuer <url> --audience <aud>`.
 *
 * @module
 */
import { createAccount, createCurve } from "@nats-io/nkeys";
import { stringify as stringifyToml } from "smol-toml";

/** Options of {@linkcode initCallout}. */
export interface InitCalloutOptions {
  /** The OIDC issuer URL (`[oidc] issuer`). */
  issuer: string;
  /** The audience tokens are minted for (`[oidc] audience`). */
  audience: string;
  /**
   * NATS servers of the callout config.
   *
   * @default {["nats://127.0.0.1:4222"]}
   */
  servers?: string[];
  /**
   * Token subjects that are operators.
   *
   * @default {["fleet-ops"]}
   */
  operatorSubjects?: string[];
}

/** What {@linkcode initCallout} wrote. */
export interface InitCalloutResult {
  /** The callout config (`callout.toml`). */
  configPath: string;
  /** The nats-server block (`nats-server-callout.conf`). */
  serverConfigPath: string;
  /** The issuer account's public key (`auth_callout.issuer`). */
  issuerPublicKey: string;
  /** The xkey's public key (`auth_callout.xkey`). */
  xkeyPublicKey: string;
}

/**
 * Writes into `dir` (which must not hold them yet): `issuer.nk` and
 * `xkey.nk` (seeds, 0600), `callout.toml` (0600: it holds the callout
 * user's password) and `nats-server-callout.conf` (0600: the same password)
 * with accounts AUTH, APP and SYS and the `auth_callout` block.
 *
 * @example
 * ```ts ignore
 * import { initCallout } from "./init.ts";
 * const { configPath } = await initCallout("/etc/fleet-callout", {
 *   issuer: "https://idp.example.com", audience: "harmony-fleet-nats",
 * });
 * ```
 */
export async function initCallout(
  dir: string,
  options: InitCalloutOptions,
): Promise<InitCalloutResult> {
  const issuer = createAccount();
  const xkey = createCurve();
  const password = [...crypto.getRandomValues(new Uint8Array(24))]
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const write = (name: string, text: string) =>
    Deno.writeTextFile(`${dir}/${name}`, text, {
      mode: 0o600,
      createNew: true,
    });
  await Deno.mkdir(dir, { recursive: true });
  await write("issuer.nk", new TextDecoder().decode(issuer.getSeed()) + "\n");
  await write("xkey.nk", new TextDecoder().decode(xkey.getSeed()) + "\n");
  await write(
    "callout.toml",
    stringifyToml({
      nats: {
        servers: options.servers ?? ["nats://127.0.0.1:4222"],
        user: "callout",
        password,
      },
      callout: {
        issuer_seed_file: "issuer.nk",
        xkey_seed_file: "xkey.nk",
        account: "APP",
        operator_subjects: options.operatorSubjects ?? ["fleet-ops"],
      },
      oidc: { issuer: options.issuer, audience: options.audience },
    }) + "\n",
  );
  await write(
    "nats-server-callout.conf",
    [
      "# The auth callout (nats-server >= 2.10): include this in nats-server.conf.",
      "accounts {",
      `  AUTH: { users: [ { user: "callout", password: "${password}" } ] }`,
      "  APP: {}",
      "  SYS: {}",
      "}",
      "system_account: SYS",
      "authorization {",
      "  timeout: 5",
      "  auth_callout {",
      `    issuer: "${issuer.getPublicKey()}"`,
      '    auth_users: [ "callout" ]',
      "    account: AUTH",
      `    xkey: "${xkey.getPublicKey()}"`,
      "  }",
      "}",
      "",
    ].join("\n"),
  );
  return {
    configPath: `${dir}/callout.toml`,
    serverConfigPath: `${dir}/nats-server-callout.conf`,
    issuerPublicKey: issuer.getPublicKey(),
    xkeyPublicKey: xkey.getPublicKey(),
  };
}
