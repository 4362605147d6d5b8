import assert from "node:assert/strict";
import { InvalidDeviceIdError } from "../contracts/mod.ts";
import {
  quoteNatsConfigString,
  renderNatsServerCluster,
  renderNatsServerConfig,
} from "./nats_server_config.ts";

const base = {
  port: 4333,
  storeDir: "/tmp/stack/jetstream",
  admin: { user: "admin", password: "adminpw" },
};

Deno.test("renderNatsServerConfig() listens on 127.0.0.1:<port> with JetStream in storeDir", () => {
  const text = renderNatsServerConfig(base);
  assert.match(text, /^listen: "127\.0\.0\.1:4333"$/m);
  assert.match(
    text,
    /jetstream \{\n {2}store_dir: "\/tmp\/stack\/jetstream"\n\}/,
  );
});

Deno.test("renderNatsServerConfig() gives the admin user no permission restriction", () => {
  const text = renderNatsServerConfig(base);
  assert.match(text, /^ {4}\{ user: "admin", password: "adminpw" \}$/m);
  assert.doesNotMatch(text, /permissions/);
});

Deno.test("renderNatsServerConfig() restricts each device to its own subjects, with stream-sized responses", () => {
  const text = renderNatsServerConfig({
    ...base,
    devices: [
      { deviceId: "d-1", user: "device-d-1", password: "pw1" },
      { deviceId: "d-2", user: "device-d-2", password: "pw2" },
    ],
  });
  const expected = [
    "    {",
    '      user: "device-d-1", password: "pw1"',
    "      permissions: {",
    '        publish: { allow: ["device-heartbeat.d-1"] }',
    '        subscribe: { allow: ["device-commands.d-1.>"] }',
    '        allow_responses: { max: 1000000, expires: "1h" }',
    "      }",
    "    }",
  ].join("\n");
  assert.ok(text.includes(expected), text);
  assert.ok(text.includes('subscribe: { allow: ["device-commands.d-2.>"] }'));
  assert.equal(
    text.match(/allow_responses: \{ max: 1000000, expires: "1h" \}/g)?.length,
    2,
  );
  assert.doesNotMatch(text, /_INBOX|allow_responses: true/);
});

Deno.test("renderNatsServerConfig() gives an operator user commands, heartbeats, its own inbox and reading the registry", () => {
  const text = renderNatsServerConfig({
    ...base,
    operators: [
      { user: "alice", password: "pw-a", inboxPrefix: "_INBOX_alice" },
      { user: "bob", password: "pw-b" },
    ],
  });
  const expected = [
    "    {",
    '      user: "alice", password: "pw-a"',
    "      permissions: {",
    '        publish: { allow: ["device-commands.>", "$JS.API.STREAM.INFO.FLEET_DEVICES", "$JS.API.CONSUMER.CREATE.FLEET_DEVICES.>", "$JS.API.CONSUMER.DELETE.FLEET_DEVICES.>"] }',
    '        subscribe: { allow: ["device-heartbeat.>", "_INBOX_alice.>"] }',
    "      }",
    "    }",
  ].join("\n");
  assert.ok(text.includes(expected), text);
  assert.ok(
    text.includes(
      'subscribe: { allow: ["device-heartbeat.>", "_INBOX.>"] }',
    ),
    text,
  );
  assert.throws(
    () =>
      renderNatsServerConfig({
        ...base,
        operators: [{ user: "admin", password: "x" }],
      }),
    /user "admin" appears twice/,
  );
});

Deno.test("renderNatsServerConfig() without admin or devices has no authorization", () => {
  const { admin: _, ...open } = base;
  const text = renderNatsServerConfig(open);
  assert.doesNotMatch(text, /authorization|user/);
  assert.match(text, /^listen: "127\.0\.0\.1:4333"$/m);
  assert.match(text, /jetstream \{/);
});

Deno.test("renderNatsServerConfig() without admin lists only the devices", () => {
  const { admin: _, ...open } = base;
  const text = renderNatsServerConfig({
    ...open,
    devices: [{ deviceId: "d1", user: "device-d1", password: "pw" }],
  });
  assert.match(
    text,
    /authorization \{\n {2}users: \[\n {4}\{\n {6}user: "device-d1"/,
  );
  assert.equal(text.match(/user: /g)?.length, 1);
});

Deno.test("renderNatsServerConfig() appends extraConfig as is, last", () => {
  const extra = 'tls {\n  cert_file: "/x/server.pem"\n}\nmax_payload: 1024\n\n';
  const text = renderNatsServerConfig({ ...base, extraConfig: extra });
  assert.ok(
    text.endsWith(
      '}\ntls {\n  cert_file: "/x/server.pem"\n}\nmax_payload: 1024\n',
    ),
    text,
  );
  assert.equal(
    renderNatsServerConfig({ ...base, extraConfig: "" }),
    renderNatsServerConfig(base),
  );
});

Deno.test("renderNatsServerConfig() quotes hostile passwords and names", () => {
  const text = renderNatsServerConfig({
    ...base,
    admin: { user: 'ad"min', password: 'p\\w"}\n]#$x' },
    serverName: "e2e-1",
  });
  assert.ok(
    text.includes('{ user: "ad\\"min", password: "p\\\\w\\"}\\n]#$x" }'),
    text,
  );
  assert.match(text, /^server_name: "e2e-1"$/m);
});

Deno.test("renderNatsServerConfig() rejects an invalid device id", () => {
  assert.throws(
    () =>
      renderNatsServerConfig({
        ...base,
        devices: [{ deviceId: ">", user: "device-x", password: "pw" }],
      }),
    InvalidDeviceIdError,
  );
});

Deno.test("renderNatsServerConfig() rejects a duplicate user", () => {
  assert.throws(
    () =>
      renderNatsServerConfig({
        ...base,
        devices: [{ deviceId: "d1", user: "admin", password: "pw" }],
      }),
    (error) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, /user "admin" appears twice/);
      return true;
    },
  );
});

Deno.test("renderNatsServerConfig() rejects an invalid port", () => {
  for (const port of [0, -1, 65536, 1.5, NaN]) {
    assert.throws(() => renderNatsServerConfig({ ...base, port }), RangeError);
  }
});

Deno.test("quoteNatsConfigString() escapes quotes, backslashes and line breaks", () => {
  assert.equal(quoteNatsConfigString("plain"), '"plain"');
  assert.equal(quoteNatsConfigString('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(quoteNatsConfigString("a\nb\tc\r"), '"a\\nb\\tc\\r"');
});

Deno.test("quoteNatsConfigString() rejects other control characters", () => {
  assert.throws(() => quoteNatsConfigString("a\x00b"), RangeError);
  assert.throws(() => quoteNatsConfigString("a\x1bb"), RangeError);
});

Deno.test("renderNatsServerConfig() renders a tls block for mutual TLS with handshake first", () => {
  const text = renderNatsServerConfig({
    ...base,
    tls: {
      certFile: "/s/server.pem",
      keyFile: "/s/server-key.pem",
      caFile: "/s/ca.pem",
      verify: true,
      handshakeFirst: true,
    },
  });
  assert.ok(
    text.includes(
      [
        "tls {",
        '  cert_file: "/s/server.pem"',
        '  key_file: "/s/server-key.pem"',
        '  ca_file: "/s/ca.pem"',
        "  verify: true",
        "  handshake_first: true",
        "}",
      ].join("\n"),
    ),
    text,
  );
  const plain = renderNatsServerConfig({
    ...base,
    tls: { certFile: "/c.pem", keyFile: "/k.pem" },
  });
  assert.doesNotMatch(plain, /verify|handshake_first|ca_file/);
  assert.doesNotMatch(renderNatsServerConfig(base), /tls/);
});

Deno.test("renderNatsServerConfig() can give devices other response limits, for tests", () => {
  const text = renderNatsServerConfig({
    ...base,
    devices: [{ deviceId: "d1", user: "device-d1", password: "pw" }],
    deviceResponses: { max: 3, expires: "1m" },
  });
  assert.match(text, /allow_responses: \{ max: 3, expires: "1m" \}/);
});

Deno.test("renderNatsServerConfig() renders a cluster node with its routes and monitoring port", () => {
  const text = renderNatsServerConfig({
    ...base,
    serverName: "c1-0",
    monitorPort: 8222,
    cluster: {
      name: "c1",
      port: 6222,
      routes: ["nats-route://127.0.0.1:6222", "nats-route://127.0.0.1:6223"],
    },
  });
  assert.match(text, /^http: "127\.0\.0\.1:8222"$/m);
  assert.ok(
    text.includes(
      [
        "cluster {",
        '  name: "c1"',
        '  listen: "127.0.0.1:6222"',
        '  routes: ["nats-route://127.0.0.1:6222", "nats-route://127.0.0.1:6223"]',
        "}",
      ].join("\n"),
    ),
    text,
  );
  assert.doesNotMatch(renderNatsServerConfig(base), /cluster|http:/);
});

Deno.test("renderNatsServerCluster() rejects a route that is not nats-route://host:port", () => {
  for (const route of ["nats://127.0.0.1:6222", "nats-route://u:p@h:1", "x"]) {
    assert.throws(
      () => renderNatsServerCluster({ name: "c", port: 6222, routes: [route] }),
      (error: unknown) =>
        error instanceof RangeError &&
        error.message.includes(JSON.stringify(route)),
    );
  }
  assert.throws(
    () => renderNatsServerConfig({ ...base, monitorPort: 0 }),
    RangeError,
  );
});
