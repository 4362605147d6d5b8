import assert from "node:assert/strict";
import { CliUsageError } from "./errors.ts";
import {
  DEFAULT_NATS_URL,
  envLayer,
  flagsLayer,
  resolveConnectionSettings,
} from "./settings.ts";

Deno.test("resolveConnectionSettings() takes the servers from the first layer naming any, else the default", () => {
  const flags = { server: { value: "nats://a:1", from: "--server" } };
  const env = { server: { value: "nats://b:2", from: "NATS_URL" } };
  const first = resolveConnectionSettings([flags, env]);
  assert.deepEqual(first.servers.urls, ["nats://a:1"]);
  assert.equal(first.serversFrom, "--server");
  const second = resolveConnectionSettings([{}, env]);
  assert.deepEqual(second.servers.urls, ["nats://b:2"]);
  assert.equal(second.serversFrom, "NATS_URL");
  const none = resolveConnectionSettings([{}, {}]);
  assert.deepEqual(none.servers.urls, [DEFAULT_NATS_URL]);
  assert.equal(none.serversFrom, "default");
});

Deno.test("resolveConnectionSettings() rejects a malformed server URL, naming where it came from", () => {
  assert.throws(
    () =>
      resolveConnectionSettings([{
        server: { value: "nats://h:1,ws://x", from: "NATS_URL" },
      }]),
    (error) => {
      assert.ok(error instanceof CliUsageError);
      assert.equal(error.source, "NATS_URL");
      assert.match(
        error.message,
        /^NATS_URL: Invalid NATS server URL "ws:\/\/x": scheme "ws" is not supported/,
      );
      return true;
    },
  );
});

Deno.test("resolveConnectionSettings() takes credentials out of the chosen server URL", () => {
  const userpass = resolveConnectionSettings([{
    server: { value: "nats://op:1s%40cret@h:4223", from: "--server" },
  }]);
  assert.deepEqual(userpass.servers.urls, ["nats://h:4223"]);
  assert.deepEqual(userpass.auth, { user: "op", password: "1s@cret" });
  assert.equal(userpass.authFrom.password, "--server (URL user info)");
  const token = resolveConnectionSettings([{}, {
    server: { value: "tok@h", from: "NATS_URL" },
  }]);
  assert.deepEqual(token.auth, { token: "tok" });
  // A URL not chosen gives no credentials.
  const ignored = resolveConnectionSettings([
    { server: { value: "nats://h", from: "--server" } },
    { server: { value: "nats://u:p@h", from: "NATS_URL" } },
  ]);
  assert.deepEqual(ignored.auth, {});
});

Deno.test("resolveConnectionSettings() refuses credentials in a URL and beside it in the same layer", () => {
  assert.throws(
    () =>
      resolveConnectionSettings([{
        server: { value: "nats://u:secret@h", from: "NATS_URL" },
        token: { value: "t", from: "NATS_TOKEN" },
      }]),
    (error) => {
      assert.ok(error instanceof CliUsageError);
      assert.equal(
        error.message,
        "NATS_URL: the URL carries credentials and NATS_TOKEN is given too; give them once",
      );
      return true;
    },
  );
});

Deno.test("resolveConnectionSettings() takes the kind of credentials from the highest layer, each field from the first that has it", () => {
  const s = (value: string, from: string) => ({ value, from });
  // --user with NATS_PASSWORD: one user/password pair from two layers.
  const split = resolveConnectionSettings([
    { user: s("admin", "--user") },
    { password: s("pw", "NATS_PASSWORD"), token: s("t", "NATS_TOKEN") },
  ]);
  assert.deepEqual(split.auth, { user: "admin", password: "pw" });
  assert.deepEqual(split.authFrom, {
    user: "--user",
    password: "NATS_PASSWORD",
  });
  // --token over a context's creds and user.
  const token = resolveConnectionSettings([
    { token: s("t", "--token") },
    {},
    { creds: s("/a.creds", "context"), user: s("u", "context") },
  ]);
  assert.deepEqual(token.auth, { token: "t" });
  // Two kinds in one layer stay, for authConnectionOptions to refuse.
  const both = resolveConnectionSettings([
    { user: s("u", "--user"), token: s("t", "--token") },
  ]);
  assert.deepEqual(both.auth, { user: "u", token: "t" });
});

Deno.test("resolveConnectionSettings() takes --token-file as a kind of its own, over NATS_TOKEN and a context's token", () => {
  const s = (value: string, from: string) => ({ value, from });
  const layer = flagsLayer({ tokenFile: "/run/token" });
  assert.deepEqual(layer.tokenFile, s("/run/token", "--token-file"));
  const settings = resolveConnectionSettings([
    layer,
    { token: s("t", "NATS_TOKEN") },
    { token: s("c", "context"), user: s("u", "context") },
  ]);
  assert.deepEqual(settings.auth, { tokenFile: "/run/token" });
  assert.deepEqual(settings.authFrom, { tokenFile: "--token-file" });
  // With --token in the same layer both stay, for authConnectionOptions to refuse.
  const both = resolveConnectionSettings([
    { token: s("t", "--token"), tokenFile: s("/run/token", "--token-file") },
  ]);
  assert.deepEqual(both.auth, { token: "t", tokenFile: "/run/token" });
  assert.throws(
    () =>
      resolveConnectionSettings([{
        server: { value: "nats://s3cret@h", from: "--server" },
        tokenFile: s("/run/token", "--token-file"),
      }]),
    (error) => {
      assert.ok(error instanceof CliUsageError);
      assert.equal(
        error.message,
        "--server: the URL carries credentials and --token-file is given too; give them once",
      );
      return true;
    },
  );
});

Deno.test("flagsLayer() and envLayer() read the TLS flags and variables as the nats CLI names them", () => {
  assert.deepEqual(
    flagsLayer({
      tlsca: "ca.pem",
      tlscert: "c.pem",
      tlskey: "k.pem",
      tlsfirst: true,
    }),
    {
      tlsCa: { value: "ca.pem", from: "--tlsca" },
      tlsCert: { value: "c.pem", from: "--tlscert" },
      tlsKey: { value: "k.pem", from: "--tlskey" },
      tlsFirst: { value: true, from: "--tlsfirst" },
    },
  );
  // --tlsfirst not given is unset, not false.
  assert.deepEqual(flagsLayer({ tlsfirst: false }), {});
  const env: Record<string, string> = {
    NATS_CA: "/e/ca.pem",
    NATS_CERT: "/e/c.pem",
    NATS_KEY: "/e/k.pem",
    NATS_KEY_EMPTY: "",
  };
  assert.deepEqual(envLayer((name) => env[name]), {
    tlsCa: { value: "/e/ca.pem", from: "NATS_CA" },
    tlsCert: { value: "/e/c.pem", from: "NATS_CERT" },
    tlsKey: { value: "/e/k.pem", from: "NATS_KEY" },
  });
});

Deno.test("resolveConnectionSettings() takes each TLS setting from the first layer that has it: flags, then environment, then context", () => {
  const s = (value: string, from: string) => ({ value, from });
  const settings = resolveConnectionSettings([
    { tlsCa: s("/f/ca.pem", "--tlsca") },
    { tlsCa: s("/e/ca.pem", "NATS_CA"), tlsCert: s("/e/c.pem", "NATS_CERT") },
    {
      tlsCa: s("/c/ca.pem", "context ca"),
      tlsKey: s("/c/k.pem", "context key"),
      tlsFirst: { value: true, from: "context tls_first" },
    },
  ]);
  assert.deepEqual(settings.tls, {
    caFile: "/f/ca.pem",
    certFile: "/e/c.pem",
    keyFile: "/c/k.pem",
    handshakeFirst: true,
  });
  assert.deepEqual(settings.tlsFrom, {
    caFile: "--tlsca",
    certFile: "NATS_CERT",
    keyFile: "context key",
    handshakeFirst: "context tls_first",
  });
  const none = resolveConnectionSettings([{}, {}, {}]);
  assert.deepEqual(none.tls, {});
  assert.deepEqual(none.tlsFrom, {});
});
