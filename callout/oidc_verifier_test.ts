import assert from "node:assert/strict";
import { mintNoneAlgToken, MockOidcIssuer } from "../testing/mod.ts";
import {
  OidcVerifier,
  type OidcVerifierOptions,
  TokenRefusedError,
} from "./oidc_verifier.ts";

function verifier(
  issuer: MockOidcIssuer,
  options: Partial<OidcVerifierOptions> = {},
) {
  return new OidcVerifier({
    issuer: issuer.url,
    audience: issuer.audience,
    algorithms: ["ES256", "RS256"],
    clockLeewayS: 30,
    jwksRefreshMinIntervalS: 30,
    jwksCacheMaxAgeS: 600,
    maxTokenBytes: 8192,
    ...options,
  });
}

async function refusal(promise: Promise<unknown>): Promise<TokenRefusedError> {
  const error = await promise.then(() => undefined, (e) => e);
  assert.ok(error instanceof TokenRefusedError, String(error));
  return error;
}

Deno.test("OidcVerifier.verify() accepts a good token and returns its subject and expiry", async () => {
  await using issuer = await MockOidcIssuer.start();
  const token = await issuer.mint({ subject: "device-d1", lifetimeS: 120 });
  const verified = await verifier(issuer).verify(token);
  assert.equal(verified.subject, "device-d1");
  assert.equal(verified.kid, issuer.currentKid);
  assert.ok(verified.expiresAtS > Date.now() / 1000 + 100);
});

Deno.test("OidcVerifier.verify() allows the clock leeway on exp and nbf, and no more", async () => {
  await using issuer = await MockOidcIssuer.start();
  const v = verifier(issuer, { clockLeewayS: 30 });
  const now = Math.floor(Date.now() / 1000);
  // Expired 10 s ago, valid in 10 s: within 30 s of leeway.
  await v.verify(
    await issuer.mint({
      subject: "device-d1",
      issuedAtS: now - 70,
      lifetimeS: 60,
    }),
  );
  await v.verify(
    await issuer.mint({ subject: "device-d1", notBeforeS: now + 10 }),
  );
  const expired = await refusal(
    v.verify(
      await issuer.mint({
        subject: "device-d1",
        issuedAtS: now - 120,
        lifetimeS: 60,
      }),
    ),
  );
  assert.equal(expired.reason, "token_expired");
  assert.equal(
    expired.subject,
    "device-d1",
    "the verified subject, for the log",
  );
  const early = await refusal(
    v.verify(await issuer.mint({ subject: "device-d1", notBeforeS: now + 60 })),
  );
  assert.equal(early.reason, "token_not_yet_valid");
});

Deno.test("OidcVerifier.verify() refuses an algorithm outside the allow-list before fetching keys", async () => {
  await using issuer = await MockOidcIssuer.start();
  const v = verifier(issuer, { algorithms: ["RS256"] });
  const es = await refusal(
    v.verify(await issuer.mint({ subject: "device-d1" })),
  );
  assert.equal(es.reason, "algorithm_not_allowed");
  const none = await refusal(
    v.verify(mintNoneAlgToken(issuer, { subject: "device-d1" })),
  );
  assert.equal(none.reason, "algorithm_not_allowed");
  assert.equal(issuer.jwksRequests, 0);
});

Deno.test("OidcVerifier.verify() refuses a token over max_token_bytes unread and never quotes a token", async () => {
  await using issuer = await MockOidcIssuer.start();
  const token = await issuer.mint({ subject: "device-d1", audience: "other" });
  const v = verifier(issuer, { maxTokenBytes: 256 });
  const large = await refusal(v.verify(token + "x".repeat(300)));
  assert.equal(large.reason, "token_too_large");
  const wrongAudience = await refusal(verifier(issuer).verify(token));
  assert.equal(wrongAudience.reason, "wrong_audience");
  assert.ok(!wrongAudience.message.includes(token.split(".")[1]));
  assert.ok(!wrongAudience.message.includes(token.split(".")[2]));
});

Deno.test("OidcVerifier.verify() refuses with jwks_unavailable when the issuer is down", async () => {
  const issuer = await MockOidcIssuer.start();
  const token = await issuer.mint({ subject: "device-d1" });
  const v = verifier(issuer);
  await issuer[Symbol.asyncDispose]();
  const error = await refusal(v.verify(token));
  assert.equal(error.reason, "jwks_unavailable");
});
