import assert from "node:assert/strict";
import { join } from "node:path";
import { nkeys } from "@nats-io/nats-core";
import { NatsAuthError, ServerUrlError } from "../nats/mod.ts";
import {
  AgentConfigError,
  loadAgentConfig,
  parseAgentConfig,
} from "./config.ts";

const NATS = '[nats]\nservers = ["nats://127.0.0.1:4222"]\n';
const AGENT = '[agent]\ndevice_id = "vm-device-00"\n';

function configError(text: string, path = "/etc/fleet/agent.toml") {
  try {
    parseAgentConfig(text, { path });
  } catch (error) {
    assert.ok(error instanceof AgentConfigError, String(error));
    assert.equal(error.name, "AgentConfigError");
    assert.equal(error.path, path);
    assert.ok(
      error.message.startsWith(`Cannot load agent config "${path}": `),
      error.message,
    );
    return error;
  }
  assert.fail("expected an AgentConfigError");
}

Deno.test("parseAgentConfig() reads a full config", () => {
  const config = parseAgentConfig(
    `[agent]
device_id = "vm-device-00"
runtime_enabled = false
heartbeat_interval_s = 2.5

[nats]
servers = ["nats://a:4222", "nats://b:4222"]
user = "device-vm-device-00"
password = "s3cret"
`,
  );
  assert.deepEqual(config, {
    deviceId: "vm-device-00",
    runtimeEnabled: false,
    heartbeatIntervalS: 2.5,
    logLevel: "info",
    nats: {
      servers: ["nats://a:4222", "nats://b:4222"],
      user: "device-vm-device-00",
      password: "s3cret",
    },
    runtime: {},
    exec: { enabled: true, allowHost: false },
  });
});

Deno.test("parseAgentConfig() applies defaults", () => {
  const config = parseAgentConfig(AGENT + NATS);
  assert.equal(config.runtimeEnabled, true);
  assert.equal(config.heartbeatIntervalS, 10);
  assert.deepEqual(config.nats, { servers: ["nats://127.0.0.1:4222"] });
  assert.deepEqual(config.runtime, {});
  assert.deepEqual(config.exec, { enabled: true, allowHost: false });
});

Deno.test("parseAgentConfig() reads [runtime] and [exec]", () => {
  const config = parseAgentConfig(
    AGENT + NATS + `
[runtime]
socket = "/run/podman/podman.sock"
container_label = "harmony.fleet/device=vm-device-00"

[exec]
enabled = false
allow_host = true
`,
  );
  assert.deepEqual(config.runtime, {
    socket: "/run/podman/podman.sock",
    containerLabel: "harmony.fleet/device=vm-device-00",
  });
  assert.deepEqual(config.exec, { enabled: false, allowHost: true });
});

Deno.test("parseAgentConfig() reads [runtime] socket as a path or a unix:// URL, relative to the config's folder", () => {
  const socket = (value: string) =>
    parseAgentConfig(AGENT + NATS + `[runtime]\nsocket = "${value}"\n`, {
      path: "/etc/fleet/agent.toml",
    }).runtime.socket;
  assert.equal(socket("/run/p.sock"), "/run/p.sock");
  assert.equal(socket("unix:///run/p.sock"), "/run/p.sock");
  assert.equal(socket("run/p.sock"), "/etc/fleet/run/p.sock");
});

Deno.test("parseAgentConfig() reads container_label as key=value or key", () => {
  const label = (value: string) =>
    parseAgentConfig(AGENT + NATS + `[runtime]\ncontainer_label = "${value}"\n`)
      .runtime.containerLabel;
  assert.equal(label("app=web"), "app=web");
  assert.equal(label("app="), "app=");
  assert.equal(label("harmony.fleet/managed"), "harmony.fleet/managed");
});

Deno.test("parseAgentConfig() rejects bad [runtime] and [exec] values, naming the key", () => {
  const cases: [string, string, RegExp][] = [
    [
      "[runtime]\nsocket = 42\n",
      "runtime.socket",
      /key "runtime.socket" must be a unix socket path or a unix:\/\/ URL, got an integer \(42\)/,
    ],
    [
      '[runtime]\nsocket = ""\n',
      "runtime.socket",
      /key "runtime.socket" must be a unix socket path or a unix:\/\/ URL, got a string \(""\)/,
    ],
    [
      '[runtime]\nsocket = "tcp://127.0.0.1:8080"\n',
      "runtime.socket",
      /key "runtime.socket" must be a unix socket path or a unix:\/\/ URL \(only unix:\/\/ is supported, not tcp:\/\/\), got a string \("tcp:\/\/127.0.0.1:8080"\)/,
    ],
    [
      '[runtime]\nsocket = "unix://"\n',
      "runtime.socket",
      /key "runtime.socket" must be a unix socket path or a unix:\/\/ URL/,
    ],
    [
      "[runtime]\ncontainer_label = true\n",
      "runtime.container_label",
      /key "runtime.container_label" must be a label "key=value" or "key", got a boolean \(true\)/,
    ],
    [
      '[runtime]\ncontainer_label = ""\n',
      "runtime.container_label",
      /key "runtime.container_label" must be a label "key=value" or "key", got a string \(""\)/,
    ],
    [
      '[runtime]\ncontainer_label = "=web"\n',
      "runtime.container_label",
      /key "runtime.container_label" must be a label "key=value" or "key", got a string \("=web"\)/,
    ],
    [
      '[runtime]\ncontainer_label = "app\\nx=1"\n',
      "runtime.container_label",
      /key "runtime.container_label" must be a label "key=value" or "key"/,
    ],
    [
      '[exec]\nenabled = "yes"\n',
      "exec.enabled",
      /key "exec.enabled" must be true or false, got a string \("yes"\)/,
    ],
    [
      "[exec]\nallow_host = 1\n",
      "exec.allow_host",
      /key "exec.allow_host" must be true or false, got an integer \(1\)/,
    ],
    [
      "runtime = 5\n",
      "runtime",
      /key "runtime" must be a table \(\[runtime\]\), got an integer \(5\)/,
    ],
    [
      '[runtime]\nsokcet = "/x"\n',
      "runtime.sokcet",
      /unknown key "runtime.sokcet"; known keys in \[runtime\] are "socket", "container_label"/,
    ],
    [
      "[exec]\nallow-host = true\n",
      "exec.allow-host",
      /unknown key "exec.allow-host"; known keys in \[exec\] are "enabled", "allow_host"/,
    ],
  ];
  for (const [table, key, message] of cases) {
    // The tables first: a top-level key after [nats] would land in it.
    const error = configError(
      table.startsWith("[") ? AGENT + NATS + table : table + AGENT + NATS,
    );
    assert.equal(error.key, key, table);
    assert.match(error.message, message);
  }
});

Deno.test("parseAgentConfig() accepts a token", () => {
  const config = parseAgentConfig(AGENT + NATS + 'token = "t0k"\n');
  assert.equal(config.nats.token, "t0k");
});

Deno.test("parseAgentConfig() resolves creds_file against the config's folder", () => {
  const config = parseAgentConfig(AGENT + NATS + 'creds_file = "d.creds"\n', {
    path: "/etc/fleet/agent.toml",
  });
  assert.equal(config.nats.credsFile, "/etc/fleet/d.creds");
  const absolute = parseAgentConfig(
    AGENT + NATS + 'creds_file = "/srv/d.creds"\n',
  );
  assert.equal(absolute.nats.credsFile, "/srv/d.creds");
});

Deno.test("parseAgentConfig() rejects text that is not TOML, with its line", () => {
  const error = configError(AGENT + "heartbeat_interval_s = \n" + NATS);
  assert.equal(error.line, 3);
  assert.equal(typeof error.column, "number");
  assert.match(error.message, /not valid TOML at line 3, column \d+: /);
  assert.ok(error.cause instanceof Error);
});

Deno.test("parseAgentConfig() rejects a missing table", () => {
  const error = configError(AGENT);
  assert.equal(error.key, "nats");
  assert.match(
    error.message,
    /missing required table \[nats\] \(with servers = /,
  );
  assert.equal(configError(NATS).key, "agent");
});

Deno.test("parseAgentConfig() rejects a missing required key", () => {
  const error = configError("[agent]\n" + NATS);
  assert.equal(error.key, "agent.device_id");
  assert.match(
    error.message,
    /missing required key "agent.device_id" \(a device id such as "vm-device-00"\)/,
  );
  assert.equal(configError(AGENT + "[nats]\n").key, "nats.servers");
});

Deno.test("parseAgentConfig() rejects wrong types, naming key and expectation", () => {
  const cases: [string, string, RegExp][] = [
    [
      "[agent]\ndevice_id = 42\n" + NATS,
      "agent.device_id",
      /key "agent.device_id" must be a string, got an integer \(42\)/,
    ],
    [
      AGENT + 'runtime_enabled = "yes"\n' + NATS,
      "agent.runtime_enabled",
      /key "agent.runtime_enabled" must be true or false, got a string \("yes"\)/,
    ],
    [
      AGENT + "heartbeat_interval_s = 0\n" + NATS,
      "agent.heartbeat_interval_s",
      /key "agent.heartbeat_interval_s" must be a number of seconds from 0.1 to 86400, got an integer \(0\)/,
    ],
    [
      AGENT + 'heartbeat_interval_s = "10"\n' + NATS,
      "agent.heartbeat_interval_s",
      /must be a number of seconds from 0.1 to 86400, got a string \("10"\)/,
    ],
    [
      AGENT + '[nats]\nservers = "nats://127.0.0.1:4222"\n',
      "nats.servers",
      /key "nats.servers" must be a non-empty array of server URLs.*got a string/,
    ],
    [
      AGENT + "[nats]\nservers = []\n",
      "nats.servers",
      /got an empty array/,
    ],
    [
      AGENT + '[nats]\nservers = ["nats://a:4222", 7]\n',
      "nats.servers",
      /entry 1 is an integer \(7\)/,
    ],
    [
      AGENT + NATS + 'user = 1\npassword = "p"\n',
      "nats.user",
      /key "nats.user" must be a non-empty string, got an integer \(1\)/,
    ],
    [
      AGENT + NATS + 'token = ""\n',
      "nats.token",
      /key "nats.token" must be a non-empty string, got an empty string/,
    ],
    [
      "agent = 5\n" + NATS,
      "agent",
      /key "agent" must be a table \(\[agent\]\), got an integer \(5\)/,
    ],
  ];
  for (const [text, key, message] of cases) {
    const error = configError(text);
    assert.equal(error.key, key, text);
    assert.match(error.message, message);
  }
});

Deno.test("parseAgentConfig() accepts heartbeat_interval_s from 0.1 to 86400 s", () => {
  for (const seconds of [0.1, 0.5, 10, 86400]) {
    const config = parseAgentConfig(
      AGENT + `heartbeat_interval_s = ${seconds}\n` + NATS,
    );
    assert.equal(config.heartbeatIntervalS, seconds);
  }
});

Deno.test("parseAgentConfig() rejects heartbeat_interval_s outside 0.1–86400 s", () => {
  // 2147484 s overflows a timer (2^31 ms); 0.000001 s floods the server.
  for (
    const seconds of [
      "2147484",
      "0.000001",
      "0.09",
      "86401",
      "-1",
      "inf",
      "nan",
    ]
  ) {
    const error = configError(
      AGENT + `heartbeat_interval_s = ${seconds}\n` + NATS,
    );
    assert.equal(error.key, "agent.heartbeat_interval_s", seconds);
    assert.match(
      error.message,
      /key "agent.heartbeat_interval_s" must be a number of seconds from 0.1 to 86400, got /,
    );
  }
});

Deno.test("parseAgentConfig() reads log_level, default info", () => {
  assert.equal(parseAgentConfig(AGENT + NATS).logLevel, "info");
  for (const level of ["debug", "info", "warn", "error"]) {
    const config = parseAgentConfig(
      AGENT + `log_level = "${level}"\n` + NATS,
    );
    assert.equal(config.logLevel, level);
  }
  for (const bad of ['"verbose"', '"INFO"', "1"]) {
    const error = configError(AGENT + `log_level = ${bad}\n` + NATS);
    assert.equal(error.key, "agent.log_level");
    assert.match(
      error.message,
      /key "agent.log_level" must be one of "debug", "info", "warn", "error", got /,
    );
  }
});

Deno.test("parseAgentConfig() rejects unknown keys in every table", () => {
  const cases: [string, string, RegExp][] = [
    [
      AGENT + "device-id = 1\n" + NATS,
      "agent.device-id",
      /unknown key "agent.device-id"; known keys in \[agent\] are "device_id", "runtime_enabled", "heartbeat_interval_s", "log_level"/,
    ],
    [
      AGENT + NATS + 'pasword = "x"\n',
      "nats.pasword",
      /unknown key "nats.pasword"; known keys in \[nats\] are/,
    ],
    [
      AGENT + NATS + "[podman]\nsocket = 1\n",
      "podman",
      /unknown key "podman"; known keys at the top level are "agent", "nats", "runtime", "exec"/,
    ],
    [
      AGENT + "[agent.extra]\nx = 1\n" + NATS,
      "agent.extra",
      /unknown key "agent.extra"/,
    ],
  ];
  for (const [text, key, message] of cases) {
    const error = configError(text);
    assert.equal(error.key, key, text);
    assert.match(error.message, message);
  }
});

Deno.test("parseAgentConfig() rejects server URLs that can never work, naming nats.servers", () => {
  const cases: [string, RegExp][] = [
    ["::::", /no host/],
    ["nats://127.0.0.1:99999", /port 99999 is out of range 1–65535/],
    ["ws://127.0.0.1:8080", /scheme "ws" is not supported/],
    ["%%%", /not a URL/],
    ["nats://127.0.0.1:4222/path", /path, query or fragment/],
    ["not a url", /whitespace/],
    ["", /empty/],
  ];
  for (const [server, problem] of cases) {
    const error = configError(
      AGENT +
        `[nats]\nservers = ["nats://ok:4222", ${JSON.stringify(server)}]\n`,
    );
    assert.equal(error.key, "nats.servers", server);
    assert.ok(error.cause instanceof ServerUrlError, server);
    assert.match(
      error.message,
      /key "nats.servers" entry 1: Invalid NATS server URL/,
    );
    assert.match(error.message, problem, server);
  }
});

Deno.test("parseAgentConfig() writes server URLs in full: scheme, host and port", () => {
  const config = parseAgentConfig(
    AGENT + '[nats]\nservers = ["127.0.0.1", "tls://Nats.Example.com:4443"]\n',
  );
  assert.deepEqual(config.nats.servers, [
    "nats://127.0.0.1:4222",
    "tls://nats.example.com:4443",
  ]);
});

Deno.test("parseAgentConfig() moves credentials out of the server URLs into user/password or token", () => {
  const config = parseAgentConfig(
    AGENT +
      '[nats]\nservers = ["nats://device-x:9p%40ss@127.0.0.1:4222", "127.0.0.1:4223"]\n',
  );
  assert.deepEqual(config.nats, {
    servers: ["nats://127.0.0.1:4222", "nats://127.0.0.1:4223"],
    user: "device-x",
    password: "9p@ss",
  });
  const token = parseAgentConfig(
    AGENT + '[nats]\nservers = ["nats://s3cr3t@127.0.0.1"]\n',
  );
  assert.deepEqual(token.nats, {
    servers: ["nats://127.0.0.1:4222"],
    token: "s3cr3t",
  });
});

Deno.test("parseAgentConfig() rejects URL credentials together with credential keys, naming nats.servers", () => {
  const servers = '[nats]\nservers = ["nats://u:hunter2@127.0.0.1:4222"]\n';
  for (
    const [auth, named] of [
      ['user = "v"\npassword = "w"\n', "nats.user"],
      ['token = "t"\n', "nats.token"],
      ['creds_file = "d.creds"\n', "nats.creds_file"],
      ['password = "w"\n', "nats.password"],
    ]
  ) {
    const error = configError(AGENT + servers + auth);
    assert.equal(error.key, "nats.servers", auth);
    assert.match(
      error.message,
      new RegExp(
        `key "nats.servers" carries credentials in a URL and "${named}" is set too; give them one way`,
      ),
    );
    assert.doesNotMatch(error.message, /hunter2/);
  }
});

Deno.test("parseAgentConfig() never quotes a password or token in its errors", () => {
  const cases = [
    '[nats]\nservers = ["nats://u:hunter2@127.0.0.1:99999"]\n',
    '[nats]\nservers = ["ws://hunter2@127.0.0.1:8080"]\n',
    '[nats]\nservers = ["nats://u:hunter2@a", "nats://v:hunter2x@b"]\n',
    '[nats]\nservers = ["nats://u:hunter2@a b"]\n',
    NATS + 'user = "u"\npassword = 2147483647\n',
    NATS + "token = 2147483647\n",
    NATS + 'password = "hunter2"\n',
  ];
  for (const text of cases) {
    const error = configError(AGENT + text);
    assert.doesNotMatch(error.message, /hunter2|2147483647/, text);
  }
});

Deno.test("parseAgentConfig() rejects an invalid device id", () => {
  for (const id of ["", "a.b", "*", ">", "d 1", "dé"]) {
    const error = configError(
      `[agent]\ndevice_id = ${JSON.stringify(id)}\n` + NATS,
    );
    assert.equal(error.key, "agent.device_id");
    assert.match(
      error.message,
      /key "agent.device_id" is not a valid device id \(.*\): /,
    );
  }
});

Deno.test("parseAgentConfig() rejects conflicting authentication", () => {
  const cases: [string, string, RegExp][] = [
    [
      'user = "u"\npassword = "p"\ntoken = "t"\n',
      "nats.token",
      /keys "nats.user" and "nats.token" cannot be used together; choose one of user\/password, token or creds_file/,
    ],
    [
      'token = "t"\ncreds_file = "x.creds"\n',
      "nats.creds_file",
      /keys "nats.token" and "nats.creds_file" cannot be used together/,
    ],
    [
      'user = "u"\ncreds_file = "x.creds"\n',
      "nats.creds_file",
      /keys "nats.user" and "nats.creds_file" cannot be used together/,
    ],
  ];
  for (const [auth, key, message] of cases) {
    const error = configError(AGENT + NATS + auth);
    assert.equal(error.key, key);
    assert.match(error.message, message);
  }
});

Deno.test("parseAgentConfig() rejects a password without a user", () => {
  const error = configError(AGENT + NATS + 'password = "p"\n');
  assert.equal(error.key, "nats.password");
  assert.match(
    error.message,
    /key "nats.password" is set but "nats.user" is not/,
  );
});

Deno.test("loadAgentConfig() names a missing file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "nope.toml");
    const error = await loadAgentConfig(path).then(
      () => assert.fail("expected an error"),
      (error) => error,
    );
    assert.ok(error instanceof AgentConfigError);
    assert.equal(error.path, path);
    assert.equal(
      error.message,
      `Cannot load agent config "${path}": the file does not exist`,
    );
    assert.ok(error.cause instanceof Deno.errors.NotFound);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A `.creds` file as nsc writes one (the JWT is not signed: only its shape is read). */
function credsText(): string {
  const part = (value: unknown) =>
    btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-")
      .replace(/\//g, "_");
  const jwt = `${part({ typ: "JWT", alg: "ed25519-nkey" })}.${
    part({ sub: "UABC" })
  }.c2ln`;
  const seed = new TextDecoder().decode(nkeys.createUser().getSeed());
  return `-----BEGIN NATS USER JWT-----\n${jwt}\n------END NATS USER JWT------\n\n` +
    `-----BEGIN USER NKEY SEED-----\n${seed}\n------END USER NKEY SEED------\n`;
}

Deno.test("loadAgentConfig() rejects a creds file that is missing or malformed, naming nats.creds_file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "agent.toml");
    await Deno.writeTextFile(path, AGENT + NATS + 'creds_file = "d.creds"\n');
    const cases: [string | undefined, RegExp][] = [
      [undefined, /the file does not exist/],
      ["not a creds file\n", /no "BEGIN NATS USER JWT" block/],
      [
        credsText().replace(/^SU[A-Z0-9]+$/m, "SUNOTASEED"),
        /the seed is not a valid NATS user seed/,
      ],
    ];
    for (const [creds, problem] of cases) {
      await Deno.remove(join(dir, "d.creds")).catch(() => {});
      if (creds !== undefined) {
        await Deno.writeTextFile(join(dir, "d.creds"), creds);
      }
      const error = await loadAgentConfig(path).then(
        () => assert.fail("expected an error"),
        (error) => error,
      );
      assert.ok(error instanceof AgentConfigError, String(error));
      assert.equal(error.key, "nats.creds_file");
      assert.equal(error.path, path);
      assert.ok(error.cause instanceof NatsAuthError);
      assert.match(
        error.message,
        new RegExp(
          `^Cannot load agent config "${path}": key "nats.creds_file": Cannot use NATS credentials file "${
            join(dir, "d.creds")
          }": `,
        ),
      );
      assert.match(error.message, problem);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadAgentConfig() reads a file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "agent.toml");
    await Deno.writeTextFile(path, AGENT + NATS + 'creds_file = "d.creds"\n');
    await Deno.writeTextFile(join(dir, "d.creds"), credsText());
    const config = await loadAgentConfig(path);
    assert.equal(config.deviceId, "vm-device-00");
    assert.equal(config.nats.credsFile, join(dir, "d.creds"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseAgentConfig() reads [agent] labels, inline or as a table", () => {
  const inline = parseAgentConfig(
    '[agent]\ndevice_id = "d1"\nlabels = { site = "berlin", role = "edge", "harmony.fleet/rack" = "r-7" }\n' +
      NATS,
  );
  assert.deepEqual(inline.labels, {
    site: "berlin",
    role: "edge",
    "harmony.fleet/rack": "r-7",
  });
  const table = parseAgentConfig(
    AGENT + '[agent.labels]\nsite = "berlin"\nempty = ""\n' + NATS,
  );
  assert.deepEqual(table.labels, { site: "berlin", empty: "" });
  assert.equal(parseAgentConfig(AGENT + NATS).labels, undefined);
});

Deno.test("parseAgentConfig() rejects bad [agent] labels, naming the key", () => {
  for (
    const [labels, key, message] of [
      [
        '"site=berlin"',
        "agent.labels",
        /key "agent.labels" must be a table of label = "value", got a string \("site=berlin"\)/,
      ],
      [
        "{ site = 5 }",
        "agent.labels.site",
        /key "agent.labels.site" must be a string, got an integer \(5\)/,
      ],
      [
        '{ site = "a b" }',
        "agent.labels.site",
        /key "agent.labels.site" is not a valid label value \("a b"\): it must be empty or A-Z/,
      ],
      [
        '{ "bad key" = "x" }',
        'agent.labels."bad key"',
        /key "agent.labels.\\"bad key\\"" is not a valid label key: its name must be/,
      ],
      ['{ "-x" = "x" }', "agent.labels.-x", /is not a valid label key/],
      [
        '{ site = "' + "x".repeat(64) + '" }',
        "agent.labels.site",
        /at most 63 characters, got 64/,
      ],
    ] as const
  ) {
    const error = configError(
      `[agent]\ndevice_id = "d1"\nlabels = ${labels}\n` + NATS,
    );
    assert.equal(error.key, key, labels);
    assert.match(error.message, message);
  }
});

Deno.test("parseAgentConfig() rejects more than 64 labels", () => {
  const many = Array.from({ length: 65 }, (_, i) => `k${i} = "v"`).join(", ");
  const error = configError(
    `[agent]\ndevice_id = "d1"\nlabels = { ${many} }\n` + NATS,
  );
  assert.equal(error.key, "agent.labels");
  assert.match(error.message, /at most 64 labels, got 65/);
});
