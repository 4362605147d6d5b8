import assert from "node:assert/strict";
import {
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  exportSPKI,
  importJWK,
  type JWK,
  jwtVerify,
} from "jose";
import {
  mintForeignKeyToken,
  mintNoneAlgToken,
  mintPublicKeyHmacToken,
  mintUnknownKidToken,
  MockOidcIssuer,
} from "./mock_oidc.ts";

const SUBJECT = "device-d-17";

/** Verifies as the auth callout will: remote JWKS, pinned alg, iss and aud. */
function verify(
  issuer: MockOidcIssuer,
  token: string,
  options: { audience?: string; jwks?: ReturnType<typeof createRemoteJWKSet> } =
    {},
) {
  const jwks = options.jwks ?? createRemoteJWKSet(new URL(issuer.jwksUri));
  return jwtVerify(token, jwks, {
    issuer: issuer.url,
    audience: options.audience ?? issuer.audience,
    algorithms: [issuer.algorithm],
  });
}

Deno.test("MockOidcIssuer.start() serves a discovery document naming its endpoints", async () => {
  await using issuer = await MockOidcIssuer.start();
  assert.match(issuer.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  const response = await fetch(issuer.discoveryUri);
  assert.equal(response.status, 200);
  const document = await response.json();
  assert.equal(document.issuer, issuer.url);
  assert.equal(document.jwks_uri, `${issuer.url}/jwks.json`);
  assert.equal(document.token_endpoint, `${issuer.url}/token`);
  assert.deepEqual(document.id_token_signing_alg_values_supported, ["ES256"]);
});

Deno.test("MockOidcIssuer.start() serves its public key in the JWKS and counts the requests", async () => {
  await using issuer = await MockOidcIssuer.start();
  assert.equal(issuer.jwksRequests, 0);
  const response = await fetch(issuer.jwksUri);
  const jwks = await response.json();
  assert.equal(jwks.keys.length, 1);
  const [key] = jwks.keys;
  assert.equal(key.kid, issuer.currentKid);
  assert.equal(key.alg, "ES256");
  assert.equal(key.use, "sig");
  assert.equal(key.kty, "EC");
  assert.equal(key.d, undefined, "no private part in the JWKS");
  assert.equal(issuer.jwksRequests, 1);
  const missing = await fetch(`${issuer.url}/nothing`);
  await missing.body?.cancel();
  assert.equal(missing.status, 404);
});

Deno.test("MockOidcIssuer.mint() makes a token that verifies against the remote JWKS with the claims asked for", async () => {
  await using issuer = await MockOidcIssuer.start();
  const token = await issuer.mint({ subject: SUBJECT, lifetimeS: 60 });
  const { payload, protectedHeader } = await verify(issuer, token);
  assert.equal(protectedHeader.kid, issuer.currentKid);
  assert.equal(payload.iss, issuer.url);
  assert.equal(payload.sub, SUBJECT);
  assert.equal(payload.aud, "harmony-fleet-nats");
  assert.equal(payload.exp! - payload.iat!, 60);
  assert.equal(payload.nbf, payload.iat);
  assert.equal(typeof payload.jti, "string");
  const other = await issuer.mint({ subject: SUBJECT, audience: "other" });
  assert.notEqual(
    (await verify(issuer, other, { audience: "other" })).payload.jti,
    payload.jti,
  );
});

Deno.test("MockOidcIssuer.mint() tokens are refused for another audience", async () => {
  await using issuer = await MockOidcIssuer.start();
  const token = await issuer.mint({ subject: SUBJECT });
  const error = await verify(issuer, token, { audience: "someone-else" })
    .catch((e) => e);
  assert.ok(error instanceof errors.JWTClaimValidationFailed, String(error));
  assert.equal(error.claim, "aud");
});

Deno.test("MockOidcIssuer.mint() refuses an empty subject", async () => {
  await using issuer = await MockOidcIssuer.start();
  await assert.rejects(issuer.mint({ subject: "" }), TypeError);
  await assert.rejects(
    issuer.mint({ subject: SUBJECT, lifetimeS: 1.5 }),
    RangeError,
  );
});

Deno.test("MockOidcIssuer.start() signs with RS256 when asked", async () => {
  await using issuer = await MockOidcIssuer.start({ algorithm: "RS256" });
  assert.equal(issuer.jwks().keys[0].kty, "RSA");
  const token = await issuer.mint({ subject: SUBJECT });
  assert.equal((await verify(issuer, token)).protectedHeader.alg, "RS256");
});

Deno.test("MockOidcIssuer POST /token mints a token from a form or a JSON body", async () => {
  await using issuer = await MockOidcIssuer.start();
  const form = await fetch(issuer.tokenEndpoint, {
    method: "POST",
    body: new URLSearchParams({ subject: SUBJECT, lifetime_s: "120" }),
  });
  assert.equal(form.status, 200);
  const fromForm = await form.json();
  assert.equal(fromForm.token_type, "Bearer");
  assert.equal(fromForm.expires_in, 120);
  const { payload } = await verify(issuer, fromForm.access_token);
  assert.equal(payload.sub, SUBJECT);
  assert.equal(payload.exp! - payload.iat!, 120);

  const json = await fetch(issuer.tokenEndpoint, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ subject: "operator-ana", audience: "ops" }),
  });
  const fromJson = await json.json();
  const verified = await verify(issuer, fromJson.access_token, {
    audience: "ops",
  });
  assert.equal(verified.payload.sub, "operator-ana");
  assert.equal(fromJson.expires_in, 300);
});

Deno.test("MockOidcIssuer POST /token answers 400 without a subject or with a bad lifetime", async () => {
  await using issuer = await MockOidcIssuer.start();
  for (const body of [{}, { subject: SUBJECT, lifetime_s: "-5" }]) {
    const response = await fetch(issuer.tokenEndpoint, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    assert.equal(response.status, 400);
    assert.equal((await response.json()).error, "invalid_request");
  }
});

Deno.test("MockOidcIssuer.rotateKey() signs with a new kid; old tokens verify until dropOldKeys()", async () => {
  await using issuer = await MockOidcIssuer.start();
  // No caching, so each verification sees the JWKS as served now.
  const jwks = createRemoteJWKSet(new URL(issuer.jwksUri), {
    cacheMaxAge: 0,
    cooldownDuration: 0,
  });
  const oldKid = issuer.currentKid;
  const oldToken = await issuer.mint({ subject: SUBJECT });
  const newKid = await issuer.rotateKey();
  assert.notEqual(newKid, oldKid);
  assert.equal(issuer.currentKid, newKid);
  assert.deepEqual(issuer.jwks().keys.map((key) => key.kid), [oldKid, newKid]);
  const newToken = await issuer.mint({ subject: SUBJECT });
  assert.equal(decodeProtectedHeader(newToken).kid, newKid);
  await verify(issuer, oldToken, { jwks });
  await verify(issuer, newToken, { jwks });

  issuer.dropOldKeys();
  assert.deepEqual(issuer.jwks().keys.map((key) => key.kid), [newKid]);
  const error = await verify(issuer, oldToken, { jwks }).catch((e) => e);
  assert.ok(error instanceof errors.JWKSNoMatchingKey, String(error));
  await verify(issuer, newToken, { jwks });
  assert.ok(issuer.jwksRequests >= 5, String(issuer.jwksRequests));
});

Deno.test("MockOidcIssuer.mint() bad-claim tokens are refused: expired, not yet valid, wrong issuer", async () => {
  await using issuer = await MockOidcIssuer.start();
  const now = Math.floor(Date.now() / 1000);
  const cases = [
    {
      token: await issuer.mint({
        subject: SUBJECT,
        issuedAtS: now - 600,
        lifetimeS: 60,
      }),
      error: errors.JWTExpired,
      claim: "exp",
    },
    {
      token: await issuer.mint({ subject: SUBJECT, notBeforeS: now + 600 }),
      error: errors.JWTClaimValidationFailed,
      claim: "nbf",
    },
    {
      token: await issuer.mint({
        subject: SUBJECT,
        issuer: "http://127.0.0.1:1",
      }),
      error: errors.JWTClaimValidationFailed,
      claim: "iss",
    },
  ];
  for (const { token, error: expected, claim } of cases) {
    const error = await verify(issuer, token).catch((e) => e);
    assert.ok(error instanceof expected, `${claim}: ${error}`);
    assert.equal(error.claim, claim);
  }
});

Deno.test("mintNoneAlgToken() makes an alg none token that is refused", async () => {
  await using issuer = await MockOidcIssuer.start();
  const token = mintNoneAlgToken(issuer, { subject: SUBJECT });
  assert.equal(decodeProtectedHeader(token).alg, "none");
  assert.ok(token.endsWith("."));
  const error = await verify(issuer, token).catch((e) => e);
  assert.ok(error instanceof errors.JOSEAlgNotAllowed, String(error));
});

Deno.test("mintPublicKeyHmacToken() makes an HS256 token keyed with the public key that is refused", async () => {
  await using issuer = await MockOidcIssuer.start();
  const token = await mintPublicKeyHmacToken(issuer, { subject: SUBJECT });
  // It is the real attack: a verifier that let the token pick HS256 with the
  // public key as the secret would accept it.
  const publicKey = await importJWK(issuer.jwks().keys[0] as JWK, "ES256");
  assert.ok(!(publicKey instanceof Uint8Array));
  const pem = new TextEncoder().encode(await exportSPKI(publicKey));
  await jwtVerify(token, pem, {
    issuer: issuer.url,
    audience: issuer.audience,
  });
  const error = await verify(issuer, token).catch((e) => e);
  assert.ok(error instanceof errors.JOSEAlgNotAllowed, String(error));
});

Deno.test("mintForeignKeyToken() makes a token under the issuer's kid that fails its signature check", async () => {
  await using issuer = await MockOidcIssuer.start();
  const token = await mintForeignKeyToken(issuer, { subject: SUBJECT });
  assert.equal(decodeProtectedHeader(token).kid, issuer.currentKid);
  const error = await verify(issuer, token).catch((e) => e);
  assert.ok(
    error instanceof errors.JWSSignatureVerificationFailed,
    String(error),
  );
});

Deno.test("mintUnknownKidToken() makes a token with a kid not in the JWKS that is refused", async () => {
  await using issuer = await MockOidcIssuer.start();
  const token = await mintUnknownKidToken(issuer, { subject: SUBJECT });
  // Signed by the issuer's real key: only the kid is wrong.
  const publicKey = await importJWK(issuer.jwks().keys[0] as JWK, "ES256");
  await jwtVerify(token, publicKey, {
    issuer: issuer.url,
    audience: issuer.audience,
  });
  const error = await verify(issuer, token).catch((e) => e);
  assert.ok(error instanceof errors.JWKSNoMatchingKey, String(error));
});

Deno.test("MockOidcIssuer[Symbol.asyncDispose]() closes the server and is idempotent", async () => {
  const issuer = await MockOidcIssuer.start();
  const response = await fetch(issuer.jwksUri);
  await response.body?.cancel();
  await issuer[Symbol.asyncDispose]();
  await issuer[Symbol.asyncDispose]();
  await assert.rejects(fetch(issuer.jwksUri), TypeError);
});
