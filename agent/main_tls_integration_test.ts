// The real agent process over TLS against a real nats-server with TLS:
// mutual TLS with the tls_* keys, and the TLS mistakes it must name.
import assert from "node:assert/strict";
import { join } from "node:path";
import { connect } from "../nats/mod.ts";
import {
  decodePingReply,
  deviceCommandSubject,
  Verb,
} from "../contracts/mod.ts";
import {
  agentEvents,
  type AgentLogEvent,
  AgentProcess,
  type AgentProcessOptions,
  NatsServerProcess,
  parseAgentLog,
  tempDir,
  TEST_ADMIN,
  type TlsFiles,
  waitForAgentEvent,
  writeTlsTestFiles,
} from "../testing/mod.ts";

const DEVICE = "tls-dev-1";
const CREDENTIALS = { user: `device-${DEVICE}`, password: "device-pw" };
const DENO_CONFIG = new URL("../deno.json", import.meta.url).pathname;
const MAIN = new URL("./main.ts", import.meta.url).pathname;

/** A nats-server with TLS in a dir of its own: mutual TLS and TLS first unless told. */
function startTlsNats(
  files: TlsFiles,
  options: { verify?: boolean; handshakeFirst?: boolean } = {},
): Promise<NatsServerProcess> {
  return NatsServerProcess.start({
    config: {
      admin: TEST_ADMIN,
      devices: [{ deviceId: DEVICE, ...CREDENTIALS }],
      tls: {
        certFile: files.server.certFile,
        keyFile: files.server.keyFile,
        caFile: files.caFile,
        verify: options.verify ?? true,
        handshakeFirst: options.handshakeFirst ?? true,
      },
    },
  });
}

function startAgent(
  dir: string,
  servers: string,
  options: Partial<AgentProcessOptions> = {},
): Promise<AgentProcess> {
  return AgentProcess.start({
    deviceId: DEVICE,
    credentials: CREDENTIALS,
    ...options,
    dir,
    servers,
  });
}

async function exitOf(
  agent: AgentProcess,
): Promise<{ code: number; events: AgentLogEvent[] }> {
  const { code } = await agent.exited;
  return {
    code,
    events: parseAgentLog(await Deno.readTextFile(agent.logPath)),
  };
}

Deno.test("agent/main.ts connects with mutual TLS, TLS first, from its tls_* keys and answers ping", async () => {
  await using dir = await tempDir("agent-tls-test-");
  const files = await writeTlsTestFiles(join(dir.path, "tls"), {
    clients: [DEVICE, "admin"],
  });
  await using nats = await startTlsNats(files);
  const url = nats.url.replace("nats://", "tls://");
  const device = files.clients[DEVICE];
  await using agent = await startAgent(dir.path, url, {
    tls: {
      caFile: files.caFile,
      certFile: device.certFile,
      keyFile: device.keyFile,
      handshakeFirst: true,
    },
  });
  await waitForAgentEvent(agent, "ready");
  const starting = (await agentEvents(agent)).find((e) =>
    e.event === "starting"
  );
  assert.equal(starting?.tls, true);
  const nc = await connect({
    servers: url,
    user: TEST_ADMIN.user,
    pass: TEST_ADMIN.password,
    tls: {
      caFile: files.caFile,
      certFile: files.clients.admin.certFile,
      keyFile: files.clients.admin.keyFile,
      handshakeFirst: true,
    },
  });
  try {
    const reply = await nc.request(
      deviceCommandSubject(DEVICE, Verb.Ping),
      "",
      { timeout: 5000 },
    );
    assert.equal(decodePingReply(reply.data).device_id, DEVICE);
  } finally {
    await nc.close();
  }
  assert.equal((await agent.stop("SIGTERM")).code, 0);
});

Deno.test("agent/main.ts exits 2 at start for a tls_ca_file that is not PEM, and for tls_cert_file without tls_handshake_first, naming the key", async () => {
  await using dir = await tempDir("agent-tls-test-");
  const files = await writeTlsTestFiles(join(dir.path, "tls"), {
    clients: [DEVICE],
  });
  const device = files.clients[DEVICE];
  for (
    const [tls, key, message] of [
      [
        { caFile: files.bad.notPemFile },
        "nats.tls_ca_file",
        `key "nats.tls_ca_file" (file ${
          JSON.stringify(files.bad.notPemFile)
        }): it is not PEM`,
      ],
      [
        { certFile: device.certFile, keyFile: device.keyFile },
        "nats.tls_handshake_first",
        'key "nats.tls_cert_file": a client certificate needs "nats.tls_handshake_first" = true: Deno cannot present a client certificate',
      ],
    ] as const
  ) {
    // Nothing listens there: the agent must fail before it tries.
    await using agent = await startAgent(dir.path, "tls://127.0.0.1:9", {
      tls,
    });
    const { code, events } = await exitOf(agent);
    assert.equal(code, 2, JSON.stringify(events));
    const invalid = events.find((e) => e.event === "config_invalid");
    assert.equal(invalid?.key, key, JSON.stringify(events));
    assert.ok(
      String(invalid?.message).includes(message),
      String(invalid?.message),
    );
    assert.ok(!events.some((e) => e.event === "nats_connect_failed"));
  }
});

Deno.test("agent/main.ts --help lists the tls_* keys and that mutual TLS needs tls_handshake_first", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", DENO_CONFIG, MAIN, "--help"],
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.equal(output.code, 0);
  const help = new TextDecoder().decode(output.stdout);
  const nats = help.slice(help.indexOf("  [nats]"));
  for (
    const key of [
      "tls_ca_file",
      "tls_cert_file",
      "tls_key_file",
      "tls_handshake_first",
    ]
  ) {
    assert.match(nats, new RegExp(`^ {4}${key} = `, "m"), key);
  }
  assert.match(nats, /needs tls_key_file and\s+tls_handshake_first = true/);
  assert.match(nats, /any tls_\* key\s+makes TLS required/);
});

Deno.test("agent/main.ts says what the TLS server wants: a client certificate, or the TLS handshake first", async () => {
  await using dir = await tempDir("agent-tls-test-");
  const files = await writeTlsTestFiles(join(dir.path, "tls"), {
    clients: [DEVICE],
  });
  await using nats = await startTlsNats(files);
  for (
    const [what, tls, expected] of [
      [
        "no client certificate",
        { caFile: files.caFile, handshakeFirst: true },
        /CertificateRequired; the server requires a client certificate/,
      ],
      [
        "a client certificate of another CA",
        {
          caFile: files.caFile,
          certFile: files.bad.strangerClient.certFile,
          keyFile: files.bad.strangerClient.keyFile,
          handshakeFirst: true,
        },
        /UnknownCA; the server refused the client certificate/,
      ],
      [
        "no TLS settings at all",
        undefined,
        /closed by the server before it sent INFO; a server with TLS handshake_first/,
      ],
    ] as const
  ) {
    await using agentDir = await tempDir("agent-tls-test-");
    await using agent = await startAgent(agentDir.path, nats.url, { tls });
    const failed = await waitForAgentEvent(agent, "nats_connect_failed");
    assert.match(String(failed.error), expected, what);
    const events = await agentEvents(agent);
    assert.ok(!events.some((e) => e.event === "nats_connected"), what);
    assert.equal((await agent.stop("SIGTERM")).code, 0, what);
  }
});
