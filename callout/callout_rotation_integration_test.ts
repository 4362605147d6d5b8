// Key rotation at the issuer: new tokens work at once (an unknown kid
// refetches the JWKS), old-key tokens are refused once the old key is
// dropped and the cache has refreshed.
import { waitFor } from "../testing/mod.ts";
import { startCalloutStack } from "./_test_callout_stack.ts";

Deno.test("CalloutService follows the issuer's key rotation", async () => {
  await using stack = await startCalloutStack({
    oidc: { jwks_refresh_min_interval_s: 0.2, jwks_cache_max_age_s: 1 },
  });
  const { issuer } = stack;
  const old = await issuer.mint({ subject: "device-d1" });
  await (await stack.connect(old)).close();
  await issuer.rotateKey();
  const fresh = await issuer.mint({ subject: "device-d1" });
  // The first login with the new kid may fall in the refetch interval.
  await waitFor("a login with the new key", async () => {
    const nc = await stack.connect(fresh).catch(() => undefined);
    await nc?.close();
    return nc !== undefined;
  });
  issuer.dropOldKeys();
  await waitFor("the old key's token to be refused", async () => {
    const nc = await stack.connect(old).catch(() => undefined);
    await nc?.close();
    return nc === undefined;
  });
  await stack.assertRefused(old, "unknown_kid");
  const nc = await stack.connect(fresh);
  await nc.close();
});
