import assert from "node:assert/strict";
import { join } from "node:path";
import { tempDir, writeTlsTestFiles } from "../testing/mod.ts";
import {
  AgentConfigError,
  loadAgentConfig,
  parseAgentConfig,
} from "./config.ts";

const BASE =
  '[agent]\ndevice_id = "vm-device-00"\n[nats]\nservers = ["tls://127.0.0.1:4222"]\n';

function configError(text: string, path = "/etc/fleet/agent.toml") {
  try {
    parseAgentConfig(text, { path });
  } catch (error) {
    assert.ok(error instanceof AgentConfigError, String(error));
    assert.equal(error.path, path);
    return error;
  }
  assert.fail("expected an AgentConfigError");
}

Deno.test("parseAgentConfig() reads the tls keys, resolving relative paths against the config's folder", () => {
  const config = parseAgentConfig(
    BASE +
      'tls_ca_file = "tls/ca.pem"\n' +
      'tls_cert_file = "/srv/tls/device.pem"\n' +
      'tls_key_file = "tls/device-key.pem"\n' +
      "tls_handshake_first = true\n",
    { path: "/etc/fleet/agent.toml" },
  );
  assert.deepEqual(config.nats.tls, {
    caFile: "/etc/fleet/tls/ca.pem",
    certFile: "/srv/tls/device.pem",
    keyFile: "/etc/fleet/tls/device-key.pem",
    handshakeFirst: true,
  });
  assert.equal(parseAgentConfig(BASE).nats.tls, undefined);
  assert.deepEqual(
    parseAgentConfig(BASE + "tls_handshake_first = false\n").nats.tls,
    undefined,
  );
});

Deno.test("parseAgentConfig() refuses tls keys of the wrong type, naming the key", () => {
  for (
    const [line, key, expected] of [
      ["tls_ca_file = 5", "nats.tls_ca_file", /must be a non-empty string/],
      ['tls_cert_file = ""', "nats.tls_cert_file", /must be a non-empty/],
      ["tls_key_file = []", "nats.tls_key_file", /must be a non-empty/],
      [
        'tls_handshake_first = "yes"',
        "nats.tls_handshake_first",
        /must be true or false/,
      ],
    ] as const
  ) {
    const error = configError(`${BASE}${line}\n`);
    assert.equal(error.key, key);
    assert.match(error.message, new RegExp(`key "${key}" `));
    assert.match(error.message, expected);
  }
});

Deno.test("parseAgentConfig() refuses half a client certificate, and a client certificate without tls_handshake_first = true", () => {
  for (
    const [lines, key, message] of [
      [
        'tls_cert_file = "d.pem"\ntls_handshake_first = true\n',
        "nats.tls_key_file",
        'key "nats.tls_cert_file": a client certificate needs its key: set "nats.tls_key_file"',
      ],
      [
        'tls_key_file = "d-key.pem"\ntls_handshake_first = true\n',
        "nats.tls_cert_file",
        'key "nats.tls_key_file": a client key needs its certificate: set "nats.tls_cert_file"',
      ],
      [
        'tls_cert_file = "d.pem"\ntls_key_file = "d-key.pem"\n',
        "nats.tls_handshake_first",
        'key "nats.tls_cert_file": a client certificate needs "nats.tls_handshake_first" = true: Deno cannot present a client certificate when it upgrades a plain connection to TLS (Deno.startTls), so mutual TLS needs the TLS handshake first',
      ],
    ] as const
  ) {
    const error = configError(BASE + lines);
    assert.equal(error.key, key);
    assert.ok(error.message.includes(message), error.message);
  }
});

Deno.test("loadAgentConfig() checks the tls files at load, naming the key and the file", async () => {
  await using dir = await tempDir("fleet-agent-config-tls-test-");
  const files = await writeTlsTestFiles(join(dir.path, "tls"), {
    clients: ["device"],
  });
  const path = join(dir.path, "agent.toml");
  const good =
    'tls_ca_file = "tls/ca.pem"\ntls_cert_file = "tls/device.pem"\n' +
    'tls_key_file = "tls/device-key.pem"\ntls_handshake_first = true\n';
  await Deno.writeTextFile(path, BASE + good);
  assert.deepEqual((await loadAgentConfig(path)).nats.tls, {
    caFile: files.caFile,
    certFile: files.clients.device.certFile,
    keyFile: files.clients.device.keyFile,
    handshakeFirst: true,
  });
  for (
    const [text, key, file, problem] of [
      [
        good.replace("tls/ca.pem", "tls/not-pem.der"),
        "nats.tls_ca_file",
        files.bad.notPemFile,
        'it is not PEM: no "-----BEGIN CERTIFICATE-----" line',
      ],
      [
        good.replace("tls/ca.pem", "tls/missing.pem"),
        "nats.tls_ca_file",
        join(dir.path, "tls/missing.pem"),
        "the file does not exist",
      ],
      [
        good.replace("tls/device-key.pem", "tls/device.pem"),
        "nats.tls_key_file",
        files.clients.device.certFile,
        "it holds a certificate, not a private key",
      ],
    ] as const
  ) {
    await Deno.writeTextFile(path, BASE + text);
    await assert.rejects(loadAgentConfig(path), (error) => {
      assert.ok(error instanceof AgentConfigError, String(error));
      assert.equal(error.key, key);
      assert.ok(
        error.message.startsWith(
          `Cannot load agent config "${path}": key "${key}" (file ${
            JSON.stringify(file)
          }): ${problem}`,
        ),
        error.message,
      );
      return true;
    });
  }
});
