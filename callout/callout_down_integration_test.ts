// The callout down: logins fail with an auth error after nats-server's
// auth timeout (they do not hang), and work again once it is back.
import assert from "node:assert/strict";
import { errors as natsErrors } from "@nats-io/nats-core";
import { waitFor } from "../testing/mod.ts";
import { startCalloutStack } from "./_test_callout_stack.ts";

Deno.test("CalloutService down: logins fail with an auth error in bounded time and work once it is back", async () => {
  await using stack = await startCalloutStack({ authTimeoutS: 1 });
  await stack.assertServing();
  await stack.callout.kill();
  const token = await stack.issuer.mint({ subject: "device-d1" });
  const started = performance.now();
  // A guard far beyond the 1 s auth timeout: a hang fails the test.
  let guard: ReturnType<typeof setTimeout> | undefined;
  const outcome = await Promise.race([
    stack.connect(token).then(async (nc) => {
      await nc.close();
      return "connected";
    }, (error) => error),
    new Promise((resolve) => guard = setTimeout(() => resolve("hung"), 15_000)),
  ]);
  clearTimeout(guard);
  const elapsedMs = Math.round(performance.now() - started);
  console.log(JSON.stringify({ callout_down_refusal_ms: elapsedMs }));
  assert.ok(
    outcome instanceof natsErrors.AuthorizationError,
    `expected an AuthorizationError, got ${outcome}`,
  );
  await stack.restartCallout();
  await waitFor("a login once the callout is back", async () => {
    const nc = await stack.connect(token).catch(() => undefined);
    await nc?.close();
    return nc !== undefined;
  });
});
