// A nats-server configured for the callout, a mock OIDC issuer and the
// callout process, for the callout's integration tests. Private.
import assert from "node:assert/strict";
import { errors as natsErrors } from "@nats-io/nats-core";
import { connect, type NatsConnection } from "../nats/mod.ts";
import {
  type CalloutKeys,
  CalloutProcess,
  type CalloutProcessOptions,
  generateCalloutKeys,
  MockOidcIssuer,
  NatsServerProcess,
  tempDir,
  TEST_ADMIN,
  waitFor,
} from "../testing/mod.ts";

export interface CalloutStack extends AsyncDisposable {
  dir: string;
  keys: CalloutKeys;
  issuer: MockOidcIssuer;
  server: NatsServerProcess;
  callout: CalloutProcess;
  /** Connects with `token` as the NATS token (no reconnect). */
  connect(token: string | undefined): Promise<NatsConnection>;
  /** The admin connection options (bypasses the callout). */
  admin(): Promise<NatsConnection>;
  /** Asserts the login is refused with an auth error and logged with `reason`. */
  assertRefused(token: string | undefined, reason: string): Promise<void>;
  /** Asserts a fresh device token still logs in. */
  assertServing(): Promise<void>;
  /** Starts the callout again (after a kill). */
  restartCallout(): Promise<void>;
}

export interface CalloutStackOptions {
  encrypt?: boolean;
  maxControlLine?: number;
  authTimeoutS?: number;
  oidc?: CalloutProcessOptions["oidc"];
}

export async function startCalloutStack(
  options: CalloutStackOptions = {},
): Promise<CalloutStack> {
  const stack = new AsyncDisposableStack();
  try {
    const dir = stack.use(await tempDir("fleet-callout-test-"));
    const keys = generateCalloutKeys({ xkey: options.encrypt ?? true });
    const issuer = stack.use(await MockOidcIssuer.start());
    const server = stack.use(
      await NatsServerProcess.start({
        config: {
          admin: TEST_ADMIN,
          callout: {
            keys,
            maxControlLine: options.maxControlLine,
            authTimeoutS: options.authTimeoutS,
          },
        },
      }),
    );
    const calloutOptions: CalloutProcessOptions = {
      dir: dir.path,
      servers: server.url,
      keys,
      issuer,
      oidc: options.oidc,
    };
    let callout = await CalloutProcess.start(calloutOptions);
    stack.defer(() => callout[Symbol.asyncDispose]());
    const connectToken = (token: string | undefined) =>
      connect({
        servers: server.url,
        ...(token === undefined ? {} : { token }),
        maxReconnectAttempts: 0,
        timeout: 20_000,
      });
    const result: CalloutStack = {
      dir: dir.path,
      keys,
      issuer,
      server,
      get callout() {
        return callout;
      },
      connect: connectToken,
      admin: () =>
        connect({
          servers: server.url,
          user: TEST_ADMIN.user,
          pass: TEST_ADMIN.password,
        }),
      async assertRefused(token, reason) {
        const before = (await callout.events()).length;
        const error = await connectToken(token).then(
          async (nc) => {
            await nc.close();
            return undefined;
          },
          (error) => error,
        );
        assert.ok(
          error instanceof natsErrors.AuthorizationError,
          `expected an AuthorizationError, got ${error}`,
        );
        const refusal = await waitFor(
          `the callout's "${reason}"`,
          async () =>
            (await callout.events()).slice(before).find((e) =>
              e.event === "auth_refused"
            ),
        );
        assert.equal(refusal.reason, reason, JSON.stringify(refusal));
      },
      async assertServing() {
        const nc = await connectToken(
          await issuer.mint({ subject: "device-still-serving" }),
        );
        await nc.flush();
        await nc.close();
      },
      async restartCallout() {
        await callout[Symbol.asyncDispose]();
        callout = await CalloutProcess.start(calloutOptions);
      },
      [Symbol.asyncDispose]: () => stack.disposeAsync(),
    };
    return result;
  } catch (error) {
    await stack.disposeAsync();
    throw error;
  }
}
