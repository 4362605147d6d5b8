import assert from "node:assert/strict";
import { decode, type User } from "@nats-io/jwt";
import { createAccount, createUser } from "@nats-io/nkeys";
import { devicePermissions, operatorPermissions } from "../contracts/mod.ts";
import { issueUserJwt, jwtPermissions } from "./user_jwt.ts";

Deno.test("issueUserJwt() signs a user JWT for the account with the role's permissions and the token's expiry", async () => {
  const issuer = createAccount();
  const user = createUser();
  const exp = Math.floor(Date.now() / 1000) + 90;
  const jwt = await issueUserJwt(issuer.getSeed(), {
    userNkey: user.getPublicKey(),
    name: "device-d1",
    permissions: devicePermissions("d1"),
    account: "APP",
    expiresAtS: exp,
  });
  const claims = decode<User>(jwt); // verifies the signature
  assert.equal(claims.iss, issuer.getPublicKey());
  assert.equal(claims.sub, user.getPublicKey());
  assert.equal(claims.aud, "APP");
  assert.equal(claims.exp, exp);
  assert.equal(claims.name, "device-d1");
  assert.deepEqual(claims.nats.pub?.allow, ["device-heartbeat.d1"]);
  assert.deepEqual(claims.nats.sub?.allow, ["device-commands.d1.>"]);
  assert.deepEqual(claims.nats.resp, {
    max: 1_000_000,
    ttl: 3_600_000_000_000,
  });
});

Deno.test("jwtPermissions() gives an operator no response permission", () => {
  const operator = operatorPermissions();
  const permissions = jwtPermissions(operator);
  assert.deepEqual(permissions.pub, { allow: operator.publish.allow });
  assert.ok(permissions.pub?.allow?.includes("device-commands.>"));
  assert.deepEqual(permissions.sub, {
    allow: ["device-heartbeat.>", "_INBOX.>"],
  });
  assert.equal(permissions.resp, undefined);
});
