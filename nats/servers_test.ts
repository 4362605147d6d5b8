import assert from "node:assert/strict";
import {
  parseServerUrl,
  parseServerUrls,
  redactServerUrl,
  ServerUrlError,
} from "./servers.ts";

Deno.test("parseServerUrl() reads scheme, host and port, defaulting to nats and 4222", () => {
  assert.deepEqual(parseServerUrl("nats://127.0.0.1:4223"), {
    scheme: "nats",
    hostname: "127.0.0.1",
    port: 4223,
    url: "nats://127.0.0.1:4223",
  });
  assert.deepEqual(parseServerUrl("tls://nats.example.com"), {
    scheme: "tls",
    hostname: "nats.example.com",
    port: 4222,
    url: "tls://nats.example.com:4222",
  });
  assert.equal(parseServerUrl("localhost").url, "nats://localhost:4222");
  assert.equal(parseServerUrl("10.0.0.1:7422").url, "nats://10.0.0.1:7422");
  assert.equal(parseServerUrl(" NATS://Host:80 ").url, "nats://host:80");
  const v6 = parseServerUrl("nats://[::1]:4222");
  assert.equal(v6.hostname, "::1");
  assert.equal(v6.url, "nats://[::1]:4222");
  assert.equal(parseServerUrl("[::1]").url, "nats://[::1]:4222");
  assert.equal(parseServerUrl("nats://host:4222/").url, "nats://host:4222");
});

Deno.test("parseServerUrl() takes user and password, or a token, out of the URL", () => {
  const both = parseServerUrl("nats://admin:1s%40cret@127.0.0.1:4222");
  assert.equal(both.user, "admin");
  assert.equal(both.password, "1s@cret");
  assert.equal(both.token, undefined);
  // A password starting with a digit must not be read as a port.
  assert.equal(both.port, 4222);
  assert.equal(both.url, "nats://127.0.0.1:4222");
  const token = parseServerUrl("s3cr3t-token@127.0.0.1");
  assert.equal(token.token, "s3cr3t-token");
  assert.equal(token.user, undefined);
  assert.equal(token.url, "nats://127.0.0.1:4222");
});

Deno.test("parseServerUrl() rejects what is not a NATS server URL, naming the problem", () => {
  const cases: [string, RegExp][] = [
    ["", /it is empty/],
    ["   ", /it is empty/],
    ["not a url", /contains whitespace/],
    ["::::", /no host/],
    ["%%%", /not a URL/],
    ["nats://127.0.0.1:99999", /port 99999 is out of range 1–65535/],
    ["nats://127.0.0.1:0", /port 0 is out of range/],
    [
      "ws://127.0.0.1:8080",
      /scheme "ws" is not supported; use nats:\/\/ or tls:\/\//,
    ],
    ["wss://127.0.0.1:8443", /scheme "wss" is not supported/],
    ["http://127.0.0.1:4222", /scheme "http" is not supported/],
    ["nats://127.0.0.1:4222/path", /path, query or fragment/],
    ["nats://127.0.0.1:4222?x=1", /path, query or fragment/],
    ["nats://:4222", /no host/],
  ];
  for (const [value, problem] of cases) {
    assert.throws(
      () => parseServerUrl(value),
      (error: unknown) => {
        assert.ok(error instanceof ServerUrlError, `${value}: ${error}`);
        assert.ok(error instanceof TypeError);
        assert.equal(error.name, "ServerUrlError");
        assert.match(error.message, problem, value);
        assert.match(error.message, /^Invalid NATS server URL/);
        return true;
      },
    );
  }
});

Deno.test("parseServerUrl() never puts a password or token into its error", () => {
  for (
    const value of [
      "ws://admin:hunter2@127.0.0.1:8080",
      "nats://admin:hunter2@127.0.0.1:99999",
      "nats://hunter2@127.0.0.1:4222/path",
      "nats://admin:hunter2@:4222",
    ]
  ) {
    assert.throws(
      () => parseServerUrl(value),
      (error: unknown) => {
        assert.ok(error instanceof ServerUrlError);
        assert.doesNotMatch(error.message, /hunter2/);
        assert.doesNotMatch(error.value, /hunter2/);
        return true;
      },
    );
  }
});

Deno.test("parseServerUrls() parses a list and keeps one set of URL credentials", () => {
  const parsed = parseServerUrls([
    "nats://u:p@127.0.0.1:4222",
    "nats://127.0.0.1:4223",
  ]);
  assert.deepEqual(parsed.urls, [
    "nats://127.0.0.1:4222",
    "nats://127.0.0.1:4223",
  ]);
  assert.deepEqual(parsed.credentials, { user: "u", password: "p" });
  assert.equal(parsed.tlsRequired, false);
  assert.equal(
    parseServerUrls(["tls://127.0.0.1", "nats://127.0.0.2"]).tlsRequired,
    true,
  );
  assert.deepEqual(parseServerUrls(["t@a", "t@b"]).credentials, {
    token: "t",
  });
  assert.equal(parseServerUrls(["a"]).credentials, undefined);
  assert.throws(
    () => parseServerUrls(["nats://u:p@a", "nats://v:q@b"]),
    (error: unknown) => {
      assert.ok(error instanceof ServerUrlError);
      assert.match(error.message, /different credentials/);
      assert.doesNotMatch(error.message, /:p@|:q@/);
      return true;
    },
  );
  assert.throws(() => parseServerUrls([]), /no server/);
});

Deno.test("redactServerUrl() hides passwords and tokens, keeps the rest", () => {
  assert.equal(
    redactServerUrl("nats://admin:hunter2@127.0.0.1:4222"),
    "nats://admin:***@127.0.0.1:4222",
  );
  assert.equal(
    redactServerUrl("tls://tok3n@nats.example.com"),
    "tls://***@nats.example.com",
  );
  assert.equal(redactServerUrl("admin:1pw@host:4222"), "admin:***@host:4222");
  assert.equal(
    redactServerUrl("nats://a:p@ss@host:4222"),
    "nats://a:***@host:4222",
  );
  assert.equal(
    redactServerUrl("nats://127.0.0.1:4222"),
    "nats://127.0.0.1:4222",
  );
  assert.equal(
    redactServerUrl("nats://u:p@a, nats://t@b"),
    "nats://u:***@a, nats://***@b",
  );
});
