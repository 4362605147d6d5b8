import assert from "node:assert/strict";
import { errors as natsErrors } from "@nats-io/nats-core";
import { isAuthRefusal } from "./auth_refusal.ts";

Deno.test("isAuthRefusal() finds an authorization error anywhere in the cause chain", () => {
  const refused = new natsErrors.AuthorizationError("Authorization Violation");
  assert.equal(isAuthRefusal(refused), true);
  assert.equal(
    isAuthRefusal(new Error("connect failed", { cause: refused })),
    true,
  );
  assert.equal(
    isAuthRefusal(new natsErrors.UserAuthenticationExpiredError("expired")),
    true,
  );
});

Deno.test("isAuthRefusal() is false for other errors and non-errors", () => {
  assert.equal(isAuthRefusal(new Error("connection refused")), false);
  assert.equal(isAuthRefusal("Authorization Violation"), false);
  assert.equal(isAuthRefusal(undefined), false);
});
