import assert from "node:assert/strict";
import { errors as joseErrors, jwtVerify } from "jose";
import { mintUnknownKidToken, MockOidcIssuer } from "../testing/mod.ts";
import { JwksCache, JwksUnavailableError } from "./jwks_cache.ts";

Deno.test("JwksCache.getKey() finds the JWKS by discovery and fetches it once", async () => {
  await using issuer = await MockOidcIssuer.start();
  const cache = new JwksCache({ issuer: issuer.url });
  for (let i = 0; i < 5; i++) {
    const token = await issuer.mint({ subject: "device-d1" });
    await jwtVerify(token, cache.getKey, { algorithms: ["ES256"] });
  }
  assert.equal(cache.jwksUri, issuer.jwksUri);
  assert.equal(issuer.jwksRequests, 1);
  assert.equal(cache.fetches, 1);
});

Deno.test("JwksCache.getKey() refetches on an unknown kid at most once per interval", async () => {
  await using issuer = await MockOidcIssuer.start();
  const cache = new JwksCache({
    issuer: issuer.url,
    jwksUri: issuer.jwksUri,
    refreshMinIntervalMs: 60_000,
  });
  await cache.warmUp();
  for (let i = 0; i < 20; i++) {
    const token = await mintUnknownKidToken(issuer, { subject: "device-d1" });
    await assert.rejects(
      jwtVerify(token, cache.getKey, { algorithms: ["ES256"] }),
      joseErrors.JWKSNoMatchingKey,
    );
  }
  assert.equal(
    issuer.jwksRequests,
    1,
    "a flood of unknown kids fetches nothing",
  );
});

Deno.test("JwksCache.getKey() picks up a rotated key after the interval", async () => {
  await using issuer = await MockOidcIssuer.start();
  const cache = new JwksCache({
    issuer: issuer.url,
    jwksUri: issuer.jwksUri,
    refreshMinIntervalMs: 0,
  });
  await cache.warmUp();
  await issuer.rotateKey();
  const token = await issuer.mint({ subject: "device-d1" });
  await jwtVerify(token, cache.getKey, { algorithms: ["ES256"] });
  assert.equal(issuer.jwksRequests, 2);
});

Deno.test("JwksCache.warmUp() rejects with JwksUnavailableError when discovery names another issuer", async () => {
  await using issuer = await MockOidcIssuer.start();
  const cache = new JwksCache({ issuer: `${issuer.url}/other` });
  const error = await cache.warmUp().then(() => undefined, (e) => e);
  assert.ok(error instanceof JwksUnavailableError);
  assert.match(error.message, /discovery document/);
});
