import assert from "node:assert/strict";
import { nkeys } from "@nats-io/nats-core";
import {
  authConnectionOptions,
  NatsAuthError,
  parseCredsFile,
  readCredsFile,
} from "./auth.ts";

const encoder = new TextEncoder();

function base64url(value: unknown): string {
  return btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-")
    .replace(/\//g, "_");
}

/** A `.creds` file in the layout `nsc` writes (the JWT is not signed: only its shape is read). */
function credsText(seed = nkeys.createUser().getSeed()): string {
  const jwt = `${base64url({ typ: "JWT", alg: "ed25519-nkey" })}.${
    base64url({ sub: "UABC", nats: { type: "user" } })
  }.c2lnbmF0dXJl`;
  return [
    "-----BEGIN NATS USER JWT-----",
    jwt,
    "------END NATS USER JWT------",
    "",
    "************************* IMPORTANT *************************",
    "NKEY Seed printed below can be used to sign and prove identity.",
    "",
    "-----BEGIN USER NKEY SEED-----",
    new TextDecoder().decode(seed),
    "------END USER NKEY SEED------",
    "",
  ].join("\n");
}

Deno.test("parseCredsFile() returns the JWT and the seed of a well-formed file", () => {
  const seed = nkeys.createUser().getSeed();
  const parsed = parseCredsFile(encoder.encode(credsText(seed)), "u.creds");
  assert.equal(parsed.jwt.split(".").length, 3);
  assert.deepEqual(parsed.seed, seed);
  // CRLF line ends, as a file edited on Windows has them.
  const crlf = credsText(seed).replaceAll("\n", "\r\n");
  assert.deepEqual(parseCredsFile(encoder.encode(crlf), "u.creds").seed, seed);
});

Deno.test("parseCredsFile() names the problem and never quotes the secret", () => {
  const seed = new TextDecoder().decode(nkeys.createUser().getSeed());
  const good = credsText(new TextEncoder().encode(seed));
  const cases: [string, RegExp][] = [
    ["", /no "BEGIN NATS USER JWT" block/],
    ["just some text\n", /no "BEGIN NATS USER JWT" block/],
    [
      good.replace(/-----BEGIN USER NKEY SEED-----[\s\S]*$/, ""),
      /no "BEGIN USER NKEY SEED" block/,
    ],
    [
      good.replace(/^eyJ[^\n]*/m, "not-a-jwt"),
      /JWT is not three base64url parts/,
    ],
    [
      good.replace(seed, "SUAAAA" + seed.slice(6, -4) + "AAAA"),
      /seed is not a valid NATS user seed/,
    ],
    [
      good.replace(seed, seed.slice(0, 20)),
      /seed is not a valid NATS user seed/,
    ],
    [
      good.replace(
        seed,
        new TextDecoder().decode(nkeys.createAccount().getSeed()),
      ),
      /seed is not a user seed/,
    ],
  ];
  for (const [text, problem] of cases) {
    assert.throws(
      () => parseCredsFile(encoder.encode(text), "bad.creds"),
      (error: unknown) => {
        assert.ok(error instanceof NatsAuthError, String(error));
        assert.equal(error.name, "NatsAuthError");
        assert.match(
          error.message,
          /^Cannot use NATS credentials file "bad\.creds": /,
        );
        assert.match(error.message, problem);
        assert.ok(!error.message.includes(seed.slice(0, 12)), error.message);
        return true;
      },
    );
  }
});

Deno.test("readCredsFile() reads and checks the file, naming a missing one", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fleet-auth-test-" });
  try {
    const path = `${dir}/user.creds`;
    await Deno.writeTextFile(path, credsText());
    assert.equal((await readCredsFile(path)).jwt.split(".").length, 3);
    await assert.rejects(
      () => readCredsFile(`${dir}/missing.creds`),
      (error: unknown) => {
        assert.ok(error instanceof NatsAuthError);
        assert.match(error.message, /missing\.creds": the file does not exist/);
        return true;
      },
    );
    await assert.rejects(
      () => readCredsFile(dir),
      (error: unknown) => {
        assert.ok(error instanceof NatsAuthError);
        assert.match(error.message, /is a directory|cannot read/);
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("authConnectionOptions() maps each kind of credentials to connection options", async () => {
  assert.deepEqual(await authConnectionOptions({}), {});
  assert.deepEqual(
    await authConnectionOptions({ user: "a", password: "b" }),
    { user: "a", pass: "b" },
  );
  assert.deepEqual(await authConnectionOptions({ user: "a" }), { user: "a" });
  assert.deepEqual(await authConnectionOptions({ token: "t" }), { token: "t" });
  const dir = await Deno.makeTempDir({ prefix: "fleet-auth-test-" });
  try {
    const path = `${dir}/user.creds`;
    await Deno.writeTextFile(path, credsText());
    const options = await authConnectionOptions({ credsFile: path });
    assert.equal(typeof options.authenticator, "function");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("authConnectionOptions() refuses a password without a user and two kinds at once", async () => {
  const cases: [Parameters<typeof authConnectionOptions>[0], RegExp][] = [
    [{ password: "p" }, /a password needs a user/],
    [
      { user: "u", token: "t" },
      /user\/password and token cannot be used together/,
    ],
    [
      { token: "t", credsFile: "x" },
      /token and credentials file cannot be used together/,
    ],
  ];
  for (const [auth, problem] of cases) {
    await assert.rejects(
      () => authConnectionOptions(auth),
      (error: unknown) => {
        assert.ok(error instanceof NatsAuthError);
        assert.ok(error instanceof TypeError);
        assert.match(error.message, problem);
        assert.doesNotMatch(error.message, /"p"|"t"/);
        return true;
      },
    );
  }
});
