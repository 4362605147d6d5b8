import assert from "node:assert/strict";
import { authConnectionOptions, NatsAuthError } from "./auth.ts";
import {
  readTokenFile,
  readTokenFileSync,
  tokenFileAuthenticator,
} from "./token_file.ts";
import { tempDir } from "../testing/mod.ts";

const TOKEN = "eyJ0b2tlbi1zM2NyM3Qi";

/** Writes `text` to a new file and renames it over `path`, as a refresher does. */
async function replace(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(`${path}.new`, text);
  await Deno.rename(`${path}.new`, path);
}

Deno.test("readTokenFile() returns the token without surrounding whitespace", async () => {
  await using dir = await tempDir("fleet-token-file-test-");
  const path = `${dir.path}/token`;
  for (const text of [TOKEN, `${TOKEN}\n`, `  ${TOKEN}\r\n\n`]) {
    await Deno.writeTextFile(path, text);
    assert.equal(await readTokenFile(path), TOKEN);
    assert.equal(readTokenFileSync(path), TOKEN);
  }
});

Deno.test("readTokenFile() names the file and the problem, never the token", async () => {
  await using dir = await tempDir("fleet-token-file-test-");
  const path = `${dir.path}/token`;
  const cases: [string | undefined, string, RegExp][] = [
    [undefined, path, /: the file does not exist$/],
    ["", path, /: the file is empty$/],
    [" \n\t\n", path, /: the file holds only whitespace$/],
    [TOKEN, dir.path, /: it is a directory$/],
  ];
  for (const [text, target, problem] of cases) {
    await Deno.remove(path).catch(() => {});
    if (text !== undefined) await Deno.writeTextFile(path, text);
    for (
      const read of [
        () => readTokenFile(target),
        () => Promise.resolve().then(() => readTokenFileSync(target)),
      ]
    ) {
      await assert.rejects(read, (error: unknown) => {
        assert.ok(error instanceof NatsAuthError, String(error));
        assert.ok(error instanceof TypeError);
        assert.equal(error.name, "NatsAuthError");
        assert.equal(error.path, target);
        assert.equal(error.setting, "tokenFile");
        assert.match(
          error.message,
          new RegExp(`^Cannot use NATS token file "${target}": `),
        );
        assert.match(error.message, problem);
        assert.ok(!error.message.includes(TOKEN));
        return true;
      });
    }
  }
});

Deno.test("tokenFileAuthenticator() reads the file again at every call", async () => {
  await using dir = await tempDir("fleet-token-file-test-");
  const path = `${dir.path}/token`;
  await Deno.writeTextFile(path, "first\n");
  const authenticator = tokenFileAuthenticator(path);
  assert.deepEqual(authenticator(), { auth_token: "first" });
  await replace(path, "second\n");
  assert.deepEqual(authenticator("nonce"), { auth_token: "second" });
});

Deno.test("tokenFileAuthenticator() keeps the last token when a read fails, and reports it", async () => {
  await using dir = await tempDir("fleet-token-file-test-");
  const path = `${dir.path}/token`;
  await Deno.writeTextFile(path, "first");
  const errors: NatsAuthError[] = [];
  const authenticator = tokenFileAuthenticator(path, {
    onReadError: (error) => errors.push(error),
  });
  assert.deepEqual(authenticator(), { auth_token: "first" });
  await Deno.remove(path);
  assert.deepEqual(authenticator(), { auth_token: "first" });
  await Deno.writeTextFile(path, "");
  assert.deepEqual(authenticator(), { auth_token: "first" });
  assert.equal(errors.length, 2);
  assert.ok(errors.every((error) => error instanceof NatsAuthError));
  assert.match(errors[0].message, /the file does not exist$/);
  assert.match(errors[1].message, /the file is empty$/);
  assert.ok(errors.every((error) => !error.message.includes("first")));
});

Deno.test("tokenFileAuthenticator() throws when no read ever succeeded and no token was given", async () => {
  await using dir = await tempDir("fleet-token-file-test-");
  const path = `${dir.path}/missing`;
  assert.throws(() => tokenFileAuthenticator(path)(), NatsAuthError);
  assert.deepEqual(
    tokenFileAuthenticator(path, { token: "given" })(),
    { auth_token: "given" },
  );
});

Deno.test("authConnectionOptions() reads a token file at once and makes an authenticator of it", async () => {
  await using dir = await tempDir("fleet-token-file-test-");
  const path = `${dir.path}/token`;
  await Deno.writeTextFile(path, `${TOKEN}\n`);
  const options = await authConnectionOptions({ tokenFile: path });
  assert.deepEqual(Object.keys(options), ["authenticator"]);
  const authenticator = options.authenticator as () => unknown;
  assert.deepEqual(authenticator(), { auth_token: TOKEN });

  await Deno.remove(path);
  await assert.rejects(
    () => authConnectionOptions({ tokenFile: path }),
    (error: unknown) => {
      assert.ok(error instanceof NatsAuthError);
      assert.equal(error.setting, "tokenFile");
      assert.equal(error.path, path);
      assert.match(error.message, /the file does not exist$/);
      return true;
    },
  );
});

Deno.test("authConnectionOptions() refuses a token file with any other kind of credentials", async () => {
  const cases: [Parameters<typeof authConnectionOptions>[0], RegExp][] = [
    [{ token: "t", tokenFile: "f" }, /token and token file cannot be used/],
    [
      { user: "u", password: "p", tokenFile: "f" },
      /user\/password and token file cannot be used/,
    ],
    [
      { credsFile: "c", tokenFile: "f" },
      /credentials file and token file cannot be used/,
    ],
  ];
  for (const [auth, problem] of cases) {
    await assert.rejects(
      () => authConnectionOptions(auth),
      (error: unknown) => {
        assert.ok(error instanceof NatsAuthError);
        assert.equal(error.path, undefined);
        assert.match(error.message, problem);
        return true;
      },
    );
  }
});
