import assert from "node:assert/strict";
import { decode, encodeGeneric } from "@nats-io/jwt";
import {
  createAccount,
  createCurve,
  createServer,
  createUser,
  type KeyPair,
} from "@nats-io/nkeys";
import {
  AuthorizationRequestError,
  decodeAuthorizationRequest,
  encodeAuthorizationReply,
} from "./authorization.ts";

const encoder = new TextEncoder();

/** An authorization request as nats-server 2.10 makes it, signed by `server`. */
async function serverRequest(server: KeyPair, signer = server) {
  const user = createUser();
  const jwt = await encodeGeneric("auth", signer, "authorization_request", {
    server_id: { id: server.getPublicKey(), name: "n1", host: "127.0.0.1" },
    user_nkey: user.getPublicKey(),
    client_info: { host: "127.0.0.1", id: 7 },
    connect_opts: { auth_token: "the-token", protocol: 1 },
  } as never);
  return { jwt, user };
}

Deno.test("decodeAuthorizationRequest() reads a plain request and encodeAuthorizationReply() answers it", async () => {
  const server = createServer();
  const issuer = createAccount();
  const { jwt, user } = await serverRequest(server);
  const decoded = decodeAuthorizationRequest(encoder.encode(jwt), undefined);
  assert.equal(decoded.request.user_nkey, user.getPublicKey());
  assert.equal(decoded.request.connect_opts?.auth_token, "the-token");
  const reply = await encodeAuthorizationReply(decoded, { error: "no" }, {
    issuerSeed: issuer.getSeed(),
  });
  const claims = decode<{ error: string }>(new TextDecoder().decode(reply));
  assert.equal(claims.iss, issuer.getPublicKey());
  assert.equal(claims.sub, user.getPublicKey());
  assert.equal(claims.aud, server.getPublicKey());
  assert.equal(claims.nats.error, "no");
});

Deno.test("decodeAuthorizationRequest() decrypts with the xkey and the reply is encrypted for the server", async () => {
  const server = createServer();
  const serverXkey = createCurve();
  const ours = createCurve();
  const issuer = createAccount();
  const { jwt } = await serverRequest(server);
  const sealed = serverXkey.seal(encoder.encode(jwt), ours.getPublicKey());
  const decoded = decodeAuthorizationRequest(
    sealed,
    serverXkey.getPublicKey(),
    { xkeySeed: ours.getSeed() },
  );
  const reply = await encodeAuthorizationReply(decoded, { jwt: "x" }, {
    issuerSeed: issuer.getSeed(),
    xkeySeed: ours.getSeed(),
  });
  const opened = serverXkey.open(reply, ours.getPublicKey());
  assert.ok(opened, "the server can open the reply");
  assert.equal(
    decode<{ jwt: string }>(new TextDecoder().decode(opened)).nats.jwt,
    "x",
  );
});

Deno.test("decodeAuthorizationRequest() refuses a plain request when an xkey is configured, and a wrong key", async () => {
  const server = createServer();
  const { jwt } = await serverRequest(server);
  const ours = createCurve();
  assert.throws(
    () =>
      decodeAuthorizationRequest(encoder.encode(jwt), undefined, {
        xkeySeed: ours.getSeed(),
      }),
    AuthorizationRequestError,
  );
  const other = createCurve();
  const sealed = createCurve().seal(encoder.encode(jwt), other.getPublicKey());
  assert.throws(
    () =>
      decodeAuthorizationRequest(sealed, createCurve().getPublicKey(), {
        xkeySeed: ours.getSeed(),
      }),
    AuthorizationRequestError,
  );
});

Deno.test("decodeAuthorizationRequest() refuses a request not signed by the server it names", async () => {
  const server = createServer();
  // Signed by an account, claiming a server's identity.
  const forged = await serverRequest(server, createAccount());
  assert.throws(
    () => decodeAuthorizationRequest(encoder.encode(forged.jwt), undefined),
    AuthorizationRequestError,
  );
  // A tampered signature.
  const { jwt } = await serverRequest(server);
  const [h, p] = jwt.split(".");
  const tampered = `${h}.${p}.${"A".repeat(86)}`;
  assert.throws(
    () => decodeAuthorizationRequest(encoder.encode(tampered), undefined),
    AuthorizationRequestError,
  );
  assert.throws(
    () => decodeAuthorizationRequest(encoder.encode("garbage"), undefined),
    AuthorizationRequestError,
  );
});
