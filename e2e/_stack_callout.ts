// The auth callout of a local stack brought up with `auth: "callout"`, as
// production logs in: a mock OIDC issuer (in this process), the callout's
// keys, a token file per device (minted for `device-<id>`) and the
// operator's token; the callout process once nats-server runs. Private to
// e2e/.
import {
  type CalloutKeys,
  CalloutProcess,
  generateCalloutKeys,
  MockOidcIssuer,
  type NatsServerCalloutOptions,
  TEST_OPERATOR_SUBJECT,
} from "../testing/mod.ts";
import { shellQuote } from "./_debug_info.ts";

/** The ways a stack's devices and operator log in. */
export type StackAuth = "userpass" | "callout";

/** The values of {@linkcode StackAuth}. */
export const STACK_AUTHS: readonly StackAuth[] = ["userpass", "callout"];

/**
 * Lifetime of the tokens a stack mints (device token files, the operator's
 * token), in seconds: an hour, so no test and no kept stack sees one
 * expire (the callout's user JWT expires with the token: the server would
 * then drop the connection).
 */
export const STACK_TOKEN_LIFETIME_S = 3600;

/** The issuer, keys, tokens and (once started) callout process of a stack. */
export class StackCallout implements AsyncDisposable {
  readonly #dir: string;
  readonly #tokenFiles: ReadonlyMap<string, string>;
  #process: CalloutProcess | undefined;

  /** The mock OIDC issuer; lives as long as this process. */
  readonly issuer: MockOidcIssuer;
  /** The nkeys of the server's `auth_callout` block (the callout signs with them). */
  readonly keys: CalloutKeys;
  /** The operator's token subject (the callout's `operator_subjects`). */
  readonly operatorSubject: string = TEST_OPERATOR_SUBJECT;
  /** The operator's token, minted at bring-up; see {@linkcode operatorTokenExpiresAt}. */
  readonly operatorToken: string;
  /** When {@linkcode operatorToken} expires. */
  readonly operatorTokenExpiresAt: Date;

  private constructor(
    dir: string,
    issuer: MockOidcIssuer,
    tokenFiles: ReadonlyMap<string, string>,
    operatorToken: { token: string; expiresAt: Date },
  ) {
    this.#dir = dir;
    this.issuer = issuer;
    this.keys = generateCalloutKeys();
    this.#tokenFiles = tokenFiles;
    this.operatorToken = operatorToken.token;
    this.operatorTokenExpiresAt = operatorToken.expiresAt;
  }

  /**
   * Starts the issuer and writes each device's token file
   * (`<dir>/token-<device id>`, mode 0600).
   */
  static async prepare(
    dir: string,
    deviceIds: readonly string[],
  ): Promise<StackCallout> {
    const issuer = await MockOidcIssuer.start();
    try {
      const tokenFiles = new Map<string, string>();
      await Promise.all(deviceIds.map(async (deviceId) => {
        const path = `${dir}/token-${deviceId}`;
        const token = await issuer.mint({
          subject: `device-${deviceId}`,
          lifetimeS: STACK_TOKEN_LIFETIME_S,
        });
        await Deno.writeTextFile(path, `${token}\n`, { mode: 0o600 });
        tokenFiles.set(deviceId, path);
      }));
      // The token's iat is the whole second of minting; exp is iat + lifetime.
      const issuedAtS = Math.floor(Date.now() / 1000);
      const token = await issuer.mint({
        subject: TEST_OPERATOR_SUBJECT,
        lifetimeS: STACK_TOKEN_LIFETIME_S,
        issuedAtS,
      });
      return new StackCallout(dir, issuer, tokenFiles, {
        token,
        expiresAt: new Date((issuedAtS + STACK_TOKEN_LIFETIME_S) * 1000),
      });
    } catch (error) {
      await issuer[Symbol.asyncDispose]();
      throw error;
    }
  }

  /** The `callout` option of nats-server's config. */
  get serverConfig(): NatsServerCalloutOptions {
    return { keys: this.keys };
  }

  /** The callout process, once started. */
  get process(): CalloutProcess | undefined {
    return this.#process;
  }

  /** The token file of `deviceId`'s agent. */
  tokenFile(deviceId: string): string {
    const path = this.#tokenFiles.get(deviceId);
    if (path === undefined) {
      throw new RangeError(`No token file for device "${deviceId}"`);
    }
    return path;
  }

  /** Mints a fresh token for `deviceId` (`sub: device-<id>`). */
  mintDeviceToken(deviceId: string): Promise<string> {
    this.tokenFile(deviceId);
    return this.issuer.mint({
      subject: `device-${deviceId}`,
      lifetimeS: STACK_TOKEN_LIFETIME_S,
    });
  }

  /**
   * Starts the callout process on `natsUrl` (its files and log in the
   * stack's dir) and waits until it serves `$SYS.REQ.USER.AUTH`.
   */
  async start(
    natsUrl: string,
    options: { newSession?: boolean } = {},
  ): Promise<CalloutProcess> {
    this.#process = await CalloutProcess.start({
      dir: this.#dir,
      servers: natsUrl,
      keys: this.keys,
      issuer: this.issuer,
      operatorSubjects: [this.operatorSubject],
      newSession: options.newSession,
    });
    return this.#process;
  }

  /** The debug lines of the callout: issuer, tokens, callout log. */
  debugLines(
    fields: { natsUrl: string; cli: string; deviceIds: readonly string[] },
  ): string[] {
    const q = shellQuote;
    const expires = this.operatorTokenExpiresAt.toISOString();
    const process = this.#process;
    return [
      `auth: callout; OIDC issuer ${this.issuer.url} (mock, in the process that brought the stack up: it stops with it)`,
      `new token: curl -s -d subject=${this.operatorSubject} ${this.issuer.tokenEndpoint}  (subject=device-<id> for a device)`,
      `operator token (sub ${this.operatorSubject}, expires ${expires}): ${this.operatorToken}`,
      `ping as operator: ${fields.cli} ping ${
        fields.deviceIds.map(q).join(" ")
      } -s ${q(fields.natsUrl)} --token ${q(this.operatorToken)}`,
      ...fields.deviceIds.map((id) =>
        `token file of ${id}: ${q(this.tokenFile(id))}`
      ),
      ...(process === undefined ? [] : [
        `tail callout: tail -f ${q(process.logPath)}  (pid ${process.pid})`,
      ]),
    ];
  }

  /** Stops the issuer (the callout process is the backend's to stop). */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.issuer[Symbol.asyncDispose]();
  }
}
