// The bad-token matrix (issue 8 item 5): every token a client might forge
// or misuse is a refused login with an auth error, logged with its reason
// and never the token, and the callout keeps serving.
import assert from "node:assert/strict";
import { connect } from "../nats/mod.ts";
import {
  mintForeignKeyToken,
  mintNoneAlgToken,
  mintPublicKeyHmacToken,
  mintUnknownKidToken,
} from "../testing/mod.ts";
import { startCalloutStack } from "./_test_callout_stack.ts";

Deno.test("CalloutService refuses every token of the bad-token matrix and keeps serving", async (t) => {
  // max_control_line raised to 64 KiB so a token over the callout's
  // max_token_bytes (8 KiB) reaches it: by default nats-server refuses a
  // CONNECT over 4 KiB itself.
  await using stack = await startCalloutStack({ maxControlLine: 64 << 10 });
  const { issuer } = stack;
  const device = { subject: "device-d1" };
  const now = Math.floor(Date.now() / 1000);
  const tokens: string[] = [];
  const cases: [
    string,
    () => Promise<string | undefined> | string | undefined,
    string,
  ][] = [
    [
      "expired",
      () => issuer.mint({ ...device, issuedAtS: now - 600, lifetimeS: 300 }),
      "token_expired",
    ],
    [
      "not yet valid",
      () => issuer.mint({ ...device, notBeforeS: now + 600, lifetimeS: 1200 }),
      "token_not_yet_valid",
    ],
    [
      "wrong issuer",
      () => issuer.mint({ ...device, issuer: "https://evil.example.com" }),
      "wrong_issuer",
    ],
    [
      "wrong audience",
      () => issuer.mint({ ...device, audience: "another-service" }),
      "wrong_audience",
    ],
    [
      "signed by another key",
      () => mintForeignKeyToken(issuer, device),
      "bad_signature",
    ],
    [
      "alg none",
      () => mintNoneAlgToken(issuer, device),
      "algorithm_not_allowed",
    ],
    [
      "HS256 with the public key",
      () => mintPublicKeyHmacToken(issuer, device),
      "algorithm_not_allowed",
    ],
    ["unknown kid", () => mintUnknownKidToken(issuer, device), "unknown_kid"],
    ["malformed", () => "not.a.jwt!", "token_malformed"],
    ["three garbage segments", () => "aGVsbG8.d29ybGQ.c2ln", "token_malformed"],
    ["empty", () => "", "token_missing"],
    ["no token at all", () => undefined, "token_missing"],
    [
      "9 KB (over max_token_bytes)",
      () => "a".repeat(9 << 10),
      "token_too_large",
    ],
    [
      "invalid device id",
      () => issuer.mint({ subject: "device-a.b" }),
      "subject_not_allowed",
    ],
    [
      "empty device id",
      () => issuer.mint({ subject: "device-" }),
      "subject_not_allowed",
    ],
    [
      "device-*",
      () => issuer.mint({ subject: "device-*" }),
      "subject_not_allowed",
    ],
    [
      "device->",
      () => issuer.mint({ subject: "device->" }),
      "subject_not_allowed",
    ],
    [
      "unknown subject",
      () => issuer.mint({ subject: "mallory" }),
      "subject_not_allowed",
    ],
  ];
  for (const [name, make, reason] of cases) {
    await t.step(`${name}: refused with ${reason}`, async () => {
      const token = await make();
      if (token) tokens.push(token);
      await stack.assertRefused(token, reason);
      await stack.assertServing();
    });
  }
  await t.step("no refused token appears in the callout's log", async () => {
    const log = await Deno.readTextFile(stack.callout.logPath);
    for (const token of tokens) {
      const signature = token.split(".")[2];
      assert.ok(!log.includes(token));
      if (signature && signature.length > 16) {
        assert.ok(!log.includes(signature));
      }
    }
    assert.ok(!log.includes(stack.keys.issuerSeed));
  });
  await t.step(
    "nats-server logs each refusal's reason, and no token",
    async () => {
      const log = await Deno.readTextFile(stack.server.logPath);
      for (const [, , reason] of cases) {
        assert.ok(
          log.includes(`Auth callout service returned an error: ${reason}`),
          reason,
        );
      }
      for (const token of tokens) {
        const signature = token.split(".")[2];
        if (signature && signature.length > 16) {
          assert.ok(
            !log.includes(signature),
          );
        }
      }
    },
  );
  assert.equal(stack.callout.exitStatus, undefined, "the callout still runs");
});

Deno.test("CalloutService refuses a 1 MB token unread when nats-server lets it through", async () => {
  // max_control_line raised so the 1 MB CONNECT reaches the callout, plain
  // requests so that nats-server and the callout need not encrypt a
  // megabyte each way within the auth timeout.
  await using stack = await startCalloutStack({
    maxControlLine: 2 << 20,
    encrypt: false,
    authTimeoutS: 10,
  });
  await stack.assertRefused("a".repeat(1 << 20), "token_too_large");
  const log = await Deno.readTextFile(stack.server.logPath);
  assert.match(log, /Auth callout service returned an error: token_too_large/);
  await stack.assertServing();
});

Deno.test("CalloutService: nats-server itself refuses a 1 MB token under its default max_control_line", async () => {
  await using stack = await startCalloutStack();
  // The client learns it only at its connect timeout: nats-server closes
  // the socket while the 1 MB CONNECT is still being written.
  const error = await connect({
    servers: stack.server.url,
    token: "a".repeat(1 << 20),
    maxReconnectAttempts: 0,
    timeout: 2_000,
  }).then(
    async (nc) => {
      await nc.close();
      return undefined;
    },
    (error) => error,
  );
  assert.ok(error instanceof Error, "the login fails");
  await stack.assertServing();
});
