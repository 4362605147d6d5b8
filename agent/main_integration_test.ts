// The real agent process (`deno run -A agent/main.ts`) against a real
// nats-server; and runAgent() in-process where a test handler is needed.
import assert from "node:assert/strict";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/nats-core";
import { headers as natsHeaders } from "@nats-io/nats-core";
import { connect } from "../nats/mod.ts";
import {
  decodeErrorReply,
  decodeHeartbeat,
  decodePingReply,
  deviceCommandSubject,
  deviceHeartbeatSubject,
  Header,
  PACKAGE_VERSION,
  Verb,
} from "../contracts/mod.ts";
import {
  agentEvents,
  type AgentLogEvent,
  AgentProcess,
  type AgentProcessOptions,
  ignoreWithoutPodman,
  NatsServerProcess,
  parseAgentLog,
  pickFreePort,
  PodmanService,
  renderAgentConfig,
  tempDir,
  TEST_ADMIN,
  waitFor,
  waitForAgentEvent,
} from "../testing/mod.ts";
import { parseAgentConfig } from "./config.ts";
import { Logger } from "./log.ts";
import { runAgent } from "./run_agent.ts";
import { MainProcess } from "./_test_main_process.ts";

const DEVICE = "main-dev-1";
const CREDENTIALS = { user: `device-${DEVICE}`, password: "device-pw" };
const MAIN = new URL("./main.ts", import.meta.url).pathname;
const DENO_CONFIG = new URL("../deno.json", import.meta.url).pathname;

/** A nats-server with the admin and `DEVICE`'s user, allowed only its own subjects. */
function startNats(
  options: { port?: number } = {},
): Promise<NatsServerProcess> {
  return NatsServerProcess.start({
    config: {
      admin: TEST_ADMIN,
      devices: [{ deviceId: DEVICE, ...CREDENTIALS }],
    },
    port: options.port,
  });
}

/** The agent of `DEVICE`, its config and log in `dir`. */
function startAgent(
  dir: string,
  servers: string | readonly string[],
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

/** The agent's config for `servers`, as `agent/main.ts --config` reads it. */
function agentToml(servers: string): string {
  return renderAgentConfig({
    deviceId: DEVICE,
    servers,
    credentials: CREDENTIALS,
  });
}

/** The exit status and log (text and events) of an agent that has exited. */
async function outcome(
  agent: AgentProcess,
): Promise<{ code: number; log: string; events: AgentLogEvent[] }> {
  const { code } = await agent.exited;
  const log = await Deno.readTextFile(agent.logPath);
  return { code, log, events: parseAgentLog(log) };
}

/** Asserts that every line the agent wrote is a JSON log line. */
function assertJsonLines(log: string): void {
  for (const line of log.trimEnd().split("\n")) {
    assert.doesNotThrow(
      () => JSON.parse(line),
      `not a JSON log line: ${line}\n${log}`,
    );
  }
}

/** Runs `agent/main.ts args…` to its end. */
async function runMain(args: string[]): Promise<{
  code: number;
  stdout: string;
  stderr: string;
  events: AgentLogEvent[];
}> {
  // An agent that should have exited but runs on is killed, so the test
  // fails instead of hanging.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), 30_000);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", DENO_CONFIG, MAIN, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: controller.signal,
  }).output().finally(() => clearTimeout(timer));
  const decoder = new TextDecoder();
  const stderr = decoder.decode(output.stderr);
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr,
    events: parseAgentLog(stderr),
  };
}

function connectAdmin(url: string): Promise<NatsConnection> {
  return connect({
    servers: url,
    user: TEST_ADMIN.user,
    pass: TEST_ADMIN.password,
  });
}

async function ping(nc: NatsConnection, body = "", requestId?: string) {
  const headers = natsHeaders();
  if (requestId) headers.set(Header.RequestId, requestId);
  return await nc.request(
    deviceCommandSubject(DEVICE, Verb.Ping),
    new TextEncoder().encode(body),
    { timeout: 5000, headers },
  );
}

Deno.test("agent/main.ts --help documents usage, log format and exit codes", async () => {
  const { code, stdout } = await runMain(["--help"]);
  assert.equal(code, 0);
  assert.match(stdout, /--config <file>/);
  assert.match(stdout, /Exit codes:/);
  assert.match(stdout, /3 {2}NATS authentication failed/);
  assert.match(stdout, /"event":"<name>"/);
  assert.match(stdout, /"event":"commands"/);
  assert.match(stdout, /successful ping gets it at debug only/);
  assert.match(
    stdout,
    /heartbeat_interval_s = 10\s+default 10;[^\n]*0\.1 to 86400/,
  );
});

Deno.test("agent/main.ts --help lists every config table and key, with defaults and ranges", async () => {
  const { code, stdout } = await runMain(["--help"]);
  assert.equal(code, 0);
  const config = stdout.slice(stdout.indexOf("Config file"));
  const keys: [string, string[]][] = [
    [
      "agent",
      ["device_id", "runtime_enabled", "heartbeat_interval_s", "log_level"],
    ],
    ["nats", ["servers", "user", "password", "token", "creds_file"]],
    ["runtime", ["socket", "container_label"]],
    ["exec", ["enabled", "allow_host"]],
  ];
  for (const [table, names] of keys) {
    assert.match(
      config,
      new RegExp(`^ {2}\\[${table}\\]( {2}\\(optional\\))?$`, "m"),
      table,
    );
    const section = config.slice(config.indexOf(`[${table}]`));
    for (const name of names) {
      assert.match(section, new RegExp(`^ {4}${name} = `, "m"), name);
    }
  }
  assert.match(config, /runtime_enabled = true\s+default true/);
  assert.match(
    config,
    /heartbeat_interval_s = 10\s+default 10; .*0\.1 to 86400/,
  );
  assert.match(config, /port 1–65535/);
  assert.match(config, /^ {2}\[runtime\] {2}\(optional\)$/m);
  assert.match(config, /enabled = true\s+default true; exec in a container/);
  assert.match(
    config,
    /allow_host = false\s+default false; exec with host: true/,
  );
  assert.match(
    config,
    /container_label = "[^"]+"\s+optional; "key=value" or "key"/,
  );
  assert.match(config, /unknown keys? (is|are) an error/);
});

Deno.test("agent/main.ts --version prints the package version", async () => {
  const { code, stdout } = await runMain(["--version"]);
  assert.equal(code, 0);
  assert.equal(stdout.trim(), PACKAGE_VERSION);
});

Deno.test("agent/main.ts exits 2 on bad usage", async () => {
  const { code, stderr } = await runMain(["--frobnicate"]);
  assert.equal(code, 2);
  assert.match(stderr, /^error: unknown option "--frobnicate"/);
});

Deno.test("agent/main.ts exits 2 naming a missing config file", async () => {
  await using dir = await tempDir("agent-test-");
  const path = join(dir.path, "missing.toml");
  const { code, events } = await runMain(["--config", path]);
  assert.equal(code, 2);
  const event = events.find((e) => e.event === "config_invalid");
  assert.equal(event?.level, "error");
  assert.equal(
    event?.message,
    `Cannot load agent config "${path}": the file does not exist`,
  );
  assert.equal(event?.path, path);
});

Deno.test("agent/main.ts exits 2 naming the key of an invalid config", async () => {
  await using dir = await tempDir("agent-test-");
  const path = join(dir.path, "agent.toml");
  // The last table is [nats], so the typo lands there.
  await Deno.writeTextFile(
    path,
    agentToml("nats://127.0.0.1:1") + "pasword = 'x'\n",
  );
  const { code, events } = await runMain(["--config", path]);
  assert.equal(code, 2);
  const event = events.find((e) => e.event === "config_invalid");
  assert.equal(event?.key, "nats.pasword");
  assert.match(String(event?.message), /unknown key "nats.pasword"/);
});

Deno.test("agent/main.ts exits 2 naming the key of a bad [runtime] or [exec] value", async () => {
  await using dir = await tempDir("agent-test-");
  const path = join(dir.path, "agent.toml");
  for (
    const [table, key, message] of [
      [
        '[runtime]\nsocket = "tcp://127.0.0.1:8080"\n',
        "runtime.socket",
        /must be a unix socket path or a unix:\/\/ URL/,
      ],
      [
        '[runtime]\ncontainer_label = "=x"\n',
        "runtime.container_label",
        /must be a label "key=value" or "key"/,
      ],
      ['[exec]\nallow_host = "yes"\n', "exec.allow_host", /true or false/],
    ] as const
  ) {
    await Deno.writeTextFile(
      path,
      agentToml("nats://127.0.0.1:1") + "\n" + table,
    );
    const { code, events } = await runMain(["--config", path]);
    assert.equal(code, 2, table);
    const event = events.find((e) => e.event === "config_invalid");
    assert.equal(event?.key, key);
    assert.match(String(event?.message), message);
  }
});

Deno.test("agent/main.ts exits 2 naming the key of a bad [agent] labels entry", async () => {
  await using dir = await tempDir("agent-test-");
  const path = join(dir.path, "agent.toml");
  await Deno.writeTextFile(
    path,
    renderAgentConfig({
      deviceId: DEVICE,
      servers: "nats://127.0.0.1:1",
      credentials: CREDENTIALS,
      labels: { site: "berlin", role: "edge node" },
    }),
  );
  const { code, events } = await runMain(["--config", path]);
  assert.equal(code, 2);
  const event = events.find((e) => e.event === "config_invalid");
  assert.equal(event?.key, "agent.labels.role");
  assert.match(
    String(event?.message),
    /key "agent\.labels\.role" is not a valid label value \("edge node"\)/,
  );
});

Deno.test("agent/main.ts exits 2 naming nats.creds_file when the creds file is missing or unparseable", async () => {
  await using dir = await tempDir("agent-test-");
  const path = join(dir.path, "agent.toml");
  const creds = join(dir.path, "device.creds");
  await Deno.writeTextFile(
    path,
    `[agent]\ndevice_id = "${DEVICE}"\nruntime_enabled = false\n[nats]\nservers = ["nats://127.0.0.1:1"]\ncreds_file = "device.creds"\n`,
  );
  for (
    const [content, problem] of [
      [undefined, "the file does not exist"],
      ["garbage\n", 'no "BEGIN NATS USER JWT" block'],
    ]
  ) {
    if (content !== undefined) await Deno.writeTextFile(creds, content);
    const { code, stderr, events } = await runMain(["--config", path]);
    assert.equal(code, 2, stderr);
    const event = events.find((e) => e.event === "config_invalid");
    assert.equal(event?.key, "nats.creds_file", stderr);
    assert.ok(
      String(event?.message).includes(
        `Cannot use NATS credentials file "${creds}": ${problem}`,
      ),
      stderr,
    );
    assert.ok(!events.some((e) => e.event === "nats_connect_failed"), stderr);
  }
});

Deno.test("agent/main.ts exits 2 naming nats.servers for a server URL that can never work", async () => {
  await using dir = await tempDir("agent-test-");
  const path = join(dir.path, "agent.toml");
  for (
    const server of [
      "::::",
      "nats://127.0.0.1:99999",
      "ws://127.0.0.1:8080",
      "%%%",
    ]
  ) {
    await Deno.writeTextFile(path, agentToml(server));
    const { code, stderr, events } = await runMain(["--config", path]);
    assert.equal(code, 2, stderr);
    const event = events.find((e) => e.event === "config_invalid");
    assert.equal(event?.key, "nats.servers", stderr);
    assert.match(String(event?.message), /Invalid NATS server URL/);
    assert.ok(!events.some((e) => e.event === "nats_connect_failed"), stderr);
  }
});

Deno.test("agent/main.ts exits 2 on a heartbeat_interval_s out of range, writing only JSON lines", async () => {
  await using dir = await tempDir("agent-test-");
  const path = join(dir.path, "agent.toml");
  for (const seconds of [2147484, 0.000001]) {
    await Deno.writeTextFile(
      path,
      renderAgentConfig({
        deviceId: DEVICE,
        servers: "nats://127.0.0.1:1",
        credentials: CREDENTIALS,
        heartbeatIntervalS: seconds,
      }),
    );
    const { code, stderr, events } = await runMain(["--config", path]);
    assert.equal(code, 2, stderr);
    const event = events.find((e) => e.event === "config_invalid");
    assert.equal(event?.key, "agent.heartbeat_interval_s");
    assert.match(String(event?.message), /from 0\.1 to 86400/);
    assertJsonLines(stderr);
  }
});

Deno.test("agent/main.ts refuses to start when CONTAINER_HOST names no socket", async () => {
  await using dir = await tempDir("agent-test-");
  const missing = join(dir.path, "missing.sock");
  const plain = join(dir.path, "plain.sock");
  await Deno.writeTextFile(plain, "");
  for (
    const [path, problem] of [
      [missing, "does not exist"],
      [plain, "is not a socket (it is a regular file)"],
    ]
  ) {
    await using agent = await startAgent(dir.path, "nats://127.0.0.1:1", {
      runtimeEnabled: true,
      env: { CONTAINER_HOST: `unix://${path}` },
    });
    const { code, events } = await outcome(agent);
    assert.equal(code, 2);
    const event = events.find((e) => e.event === "runtime_unavailable");
    assert.deepEqual(event?.tried, [path]);
    assert.ok(
      String(event?.message).includes(`${path} (CONTAINER_HOST): ${problem}`),
    );
    assert.match(String(event?.message), /set runtime_enabled = false/);
    assert.match(String(event?.message), /podman system service/);
  }
});

Deno.test("agent/main.ts serves ping, rejects bad requests, beats, and exits 0 on SIGTERM", async () => {
  await using nats = await startNats();
  await using dir = await tempDir("agent-test-");
  await using agent = await startAgent(dir.path, nats.url, {
    heartbeatIntervalS: 0.5,
  });
  const nc = await connectAdmin(nats.url);
  try {
    const beats = nc.subscribe(deviceHeartbeatSubject(DEVICE), { max: 2 });
    const ready = await waitForAgentEvent(agent, "ready");
    assert.equal(ready.device_id, DEVICE);
    assert.equal(ready.level, "info");
    assert.equal(typeof ready.ts, "string");

    const reply = await ping(nc, "", "req-42");
    assert.equal(reply.headers?.get(Header.RequestId), "req-42");
    const pong = decodePingReply(reply.data);
    assert.deepEqual(
      { ...pong, uptime_s: 0 },
      {
        device_id: DEVICE,
        agent_version: PACKAGE_VERSION,
        uptime_s: 0,
        runtime: "disabled",
      },
    );
    assert.ok(Number.isInteger(pong.uptime_s) && pong.uptime_s >= 0);

    const malformed = await ping(nc, "{oops", "req-bad");
    assert.equal(malformed.headers?.get(Header.ServiceErrorCode), "400");
    assert.equal(malformed.headers?.get(Header.RequestId), "req-bad");
    assert.equal(decodeErrorReply(malformed.data).kind, "bad_request");

    const unknown = await nc.request(
      `device-commands.${DEVICE}.reboot`,
      undefined,
      { timeout: 5000 },
    );
    assert.equal(unknown.headers?.get(Header.ServiceErrorCode), "400");
    assert.equal(decodeErrorReply(unknown.data).kind, "bad_request");

    const mismatch = await ping(nc, '{"verb":"exec"}');
    assert.equal(decodeErrorReply(mismatch.data).kind, "bad_request");

    const lateHeaders = natsHeaders();
    lateHeaders.set(Header.Deadline, String(Date.now() - 1));
    const late = await nc.request(
      deviceCommandSubject(DEVICE, Verb.Ping),
      undefined,
      { timeout: 5000, headers: lateHeaders },
    );
    assert.equal(late.headers?.get(Header.ServiceErrorCode), "504");
    assert.equal(decodeErrorReply(late.data).kind, "deadline_exceeded");

    assert.equal(decodePingReply((await ping(nc)).data).device_id, DEVICE);

    const received = [];
    for await (const msg of beats) received.push(decodeHeartbeat(msg.data));
    assert.equal(received.length, 2);
    for (const beat of received) {
      assert.equal(beat.device_id, DEVICE);
      assert.equal(beat.agent_version, PACKAGE_VERSION);
      assert.equal(beat.runtime, "disabled");
      assert.match(beat.ts, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(beat.interval_s, 0.5);
      assert.equal(beat.labels, undefined, "no labels configured, none sent");
    }

    assert.equal((await agent.stop("SIGTERM")).code, 0);
    const { log, events } = await outcome(agent);
    const names = events.map((e) => e.event);
    assert.ok(names.includes("shutting_down"), names.join(","));
    assert.equal(names.at(-1), "stopped");
    assertJsonLines(log);
  } finally {
    await nc.close();
  }
});

Deno.test("agent/main.ts writes no line per successful ping at info, one per failed command, and a commands summary when it stops", async () => {
  await using nats = await startNats();
  await using dir = await tempDir("agent-test-");
  await using agent = await startAgent(dir.path, nats.url);
  const nc = await connectAdmin(nats.url);
  try {
    await waitForAgentEvent(agent, "ready");
    await Promise.all(Array.from({ length: 50 }, () => ping(nc)));
    const bad = await ping(nc, "{oops", "req-bad");
    assert.equal(decodeErrorReply(bad.data).kind, "bad_request");
  } finally {
    await nc.close();
  }
  assert.equal((await agent.stop("SIGTERM")).code, 0);
  const { log, events } = await outcome(agent);
  const commands = events.filter((e) => e.event === "command");
  assert.equal(commands.length, 1, log);
  assert.equal(commands[0].level, "info");
  assert.equal(commands[0].outcome, "bad_request");
  assert.equal(commands[0].request_id, "req-bad");
  const summary = events.find((e) => e.event === "commands");
  assert.equal(summary?.level, "info", log);
  assert.deepEqual(summary?.counts, { ping: { ok: 50, bad_request: 1 } });
  assert.equal(events.at(-1)?.event, "stopped");
});

Deno.test('agent/main.ts with log_level = "debug" writes a line per ping', async () => {
  await using nats = await startNats();
  await using dir = await tempDir("agent-test-");
  const path = join(dir.path, "agent.toml");
  await Deno.writeTextFile(
    path,
    agentToml(nats.url).replace("[agent]\n", '[agent]\nlog_level = "debug"\n'),
  );
  await using agent = MainProcess.start(path);
  await agent.waitForEvent("ready");
  const nc = await connectAdmin(nats.url);
  try {
    await ping(nc, "", "req-debug");
  } finally {
    await nc.close();
  }
  const line = await agent.waitForEvent("command");
  assert.equal(line.level, "debug");
  assert.equal(line.request_id, "req-debug");
  agent.signalGroup("SIGTERM");
  assert.equal((await agent.exit()).code, 0);
});

Deno.test({
  name:
    "agent/main.ts reports podman as its runtime when the socket of a real podman service answers",
  ignore: ignoreWithoutPodman(),
  fn: async () => {
    await using nats = await startNats();
    await using dir = await tempDir("agent-test-");
    await using podman = await PodmanService.start();
    await using agent = await startAgent(dir.path, nats.url, {
      runtimeEnabled: true,
      env: { CONTAINER_HOST: `unix://${podman.socketPath}` },
    });
    const nc = await connectAdmin(nats.url);
    try {
      const ready = await waitForAgentEvent(agent, "ready");
      assert.equal(ready.podman_socket, podman.socketPath);
      assert.equal(decodePingReply((await ping(nc)).data).runtime, "podman");
      assert.equal((await agent.stop("SIGINT")).code, 0);
    } finally {
      await nc.close();
    }
  },
});

Deno.test("agent/main.ts under `deno task agent` exits 0 after a graceful stop on a terminal's Ctrl-C (SIGINT to its process group), 10 times", async () => {
  // The terminal signals every process of the group, and `deno task`
  // forwards the signal to the agent once more: two SIGINTs, one Ctrl-C.
  await using nats = await startNats();
  await using dir = await tempDir("agent-test-");
  const path = join(dir.path, "agent.toml");
  await Deno.writeTextFile(path, agentToml(nats.url));
  for (let run = 1; run <= 10; run++) {
    await using agent = MainProcess.start(path, { task: true });
    await agent.waitForEvent("ready");
    agent.signalGroup("SIGINT");
    const { code, stderr } = await agent.exit();
    const events = parseAgentLog(stderr).map((e) => e.event);
    assert.equal(code, 0, `run ${run}:\n${stderr}`);
    assert.equal(events.at(-1), "stopped", `run ${run}:\n${stderr}`);
    assert.ok(!events.includes("shutdown_forced"), `run ${run}:\n${stderr}`);
  }
});

Deno.test("agent/main.ts exits 1 at once on a second SIGINT sent more than 1 s after the first", async () => {
  await using nats = await startNats();
  await using dir = await tempDir("agent-test-");
  const path = join(dir.path, "agent.toml");
  await Deno.writeTextFile(path, agentToml(nats.url));
  await using agent = MainProcess.start(path, { task: true });
  await agent.waitForEvent("ready");
  // Without a server the drain cannot finish: the graceful stop hangs
  // until its 10 s timeout, which the second Ctrl-C cuts short.
  await nats[Symbol.asyncDispose]();
  await agent.waitForEvent("nats_disconnected");
  agent.signalGroup("SIGINT");
  await agent.waitForEvent("shutting_down");
  // A person pressing Ctrl-C again, later than the 1 s that counts as the
  // same Ctrl-C (not a wait for a condition: the delay is the subject).
  await new Promise((resolve) => setTimeout(resolve, 1_300));
  agent.signalGroup("SIGINT");
  const { code, stderr } = await agent.exit(5_000);
  assert.equal(code, 1, stderr);
  const events = parseAgentLog(stderr).map((e) => e.event);
  assert.equal(events.at(-1), "shutdown_forced", stderr);
  assert.ok(!events.includes("stopped"), stderr);
});

Deno.test("agent/main.ts keeps trying until NATS comes up", async () => {
  const port = pickFreePort();
  await using dir = await tempDir("agent-test-");
  await using agent = await startAgent(dir.path, `nats://127.0.0.1:${port}`);
  await waitForAgentEvent(agent, "nats_connect_failed");
  await using nats = await startNats({ port });
  await waitForAgentEvent(agent, "ready");
  const nc = await connectAdmin(nats.url);
  try {
    assert.equal(decodePingReply((await ping(nc)).data).device_id, DEVICE);
  } finally {
    await nc.close();
  }
  assert.equal((await agent.stop("SIGTERM")).code, 0);
});

Deno.test("agent/main.ts logs a lost connection, reconnects and resubscribes", async () => {
  await using dir = await tempDir("agent-test-");
  let nats = await startNats();
  try {
    await using agent = await startAgent(dir.path, nats.url);
    await waitForAgentEvent(agent, "ready");
    await nats[Symbol.asyncDispose]();
    const lost = await waitForAgentEvent(agent, "nats_disconnected");
    assert.equal(lost.level, "warn");
    nats = await startNats({ port: nats.port });
    await waitForAgentEvent(agent, "nats_reconnected");
    const nc = await connectAdmin(nats.url);
    try {
      const reply = await waitFor(
        "a ping after reconnecting",
        () => ping(nc).catch(() => undefined),
      );
      assert.equal(decodePingReply(reply.data).device_id, DEVICE);
    } finally {
      await nc.close();
    }
    assert.equal((await agent.stop("SIGTERM")).code, 0);
  } finally {
    await nats[Symbol.asyncDispose]();
  }
});

Deno.test("agent/main.ts exits 3 naming authentication on a wrong password, without crashing", async () => {
  await using nats = await startNats();
  const runs = Number(Deno.env.get("AGENT_AUTH_RUNS") ?? 20);
  const parallel = 4;
  for (let done = 0; done < runs; done += parallel) {
    const batch = Math.min(parallel, runs - done);
    await Promise.all(
      Array.from({ length: batch }, async () => {
        // A dir each: the agents of one device share file names.
        await using dir = await tempDir("agent-test-");
        await using agent = await startAgent(dir.path, nats.url, {
          credentials: { ...CREDENTIALS, password: "wrong" },
        });
        const { code, log, events } = await outcome(agent);
        assert.equal(code, 3, log);
        const event = events.find((e) => e.event === "nats_auth_failed");
        assert.match(String(event?.message), /authentication failed/, log);
        assertJsonLines(log);
      }),
    );
  }
});

/** An agent config with credentials only in the server URL. */
function urlCredentialsToml(server: string): string {
  return `[agent]\ndevice_id = "${DEVICE}"\nruntime_enabled = false\n[nats]\nservers = [${
    JSON.stringify(server)
  }]\n`;
}

Deno.test("agent/main.ts connects with credentials from a server URL (password starting with a digit) and answers ping", async () => {
  const password = "9pw-starts-with-a-digit";
  await using nats = await NatsServerProcess.start({
    config: {
      admin: TEST_ADMIN,
      devices: [{ deviceId: DEVICE, user: CREDENTIALS.user, password }],
    },
  });
  await using dir = await tempDir("agent-test-");
  const path = join(dir.path, "agent.toml");
  await Deno.writeTextFile(
    path,
    urlCredentialsToml(
      `nats://${CREDENTIALS.user}:${password}@127.0.0.1:${nats.port}`,
    ),
  );
  await using agent = MainProcess.start(path);
  const starting = await agent.waitForEvent("starting");
  assert.deepEqual(starting.servers, [`nats://127.0.0.1:${nats.port}`]);
  await agent.waitForEvent("ready");
  const nc = await connectAdmin(nats.url);
  try {
    assert.equal(decodePingReply((await ping(nc)).data).device_id, DEVICE);
  } finally {
    await nc.close();
  }
  agent.signalGroup("SIGTERM");
  const { code, stderr } = await agent.exit();
  assert.equal(code, 0, stderr);
  assert.ok(!stderr.includes(password), stderr);
});

Deno.test("agent/main.ts never writes a password given in a server URL to stderr", async () => {
  const password = "7wrong-secret";
  await using nats = await startNats();
  await using dir = await tempDir("agent-test-");
  const path = join(dir.path, "agent.toml");
  // A reachable server refusing the password: nats_auth_failed, exit 3.
  await Deno.writeTextFile(
    path,
    urlCredentialsToml(
      `nats://${CREDENTIALS.user}:${password}@127.0.0.1:${nats.port}`,
    ),
  );
  {
    await using agent = MainProcess.start(path);
    const { code, stderr } = await agent.exit();
    assert.equal(code, 3, stderr);
    assert.ok(
      parseAgentLog(stderr).some((e) => e.event === "nats_auth_failed"),
      stderr,
    );
    assert.ok(!stderr.includes(password), stderr);
  }
  // No server at all: nats_connect_failed, again and again.
  await Deno.writeTextFile(
    path,
    urlCredentialsToml(
      `nats://${CREDENTIALS.user}:${password}@127.0.0.1:${pickFreePort()}`,
    ),
  );
  {
    await using agent = MainProcess.start(path);
    await waitFor(
      "two nats_connect_failed events",
      () =>
        agent.events().filter((e) => e.event === "nats_connect_failed")
          .length >= 2,
    );
    agent.signalGroup("SIGTERM");
    const { code, stderr } = await agent.exit();
    assert.equal(code, 0, stderr);
    assert.ok(!stderr.includes(password), stderr);
  }
});

Deno.test("runAgent() finishes the request in flight on shutdown, then returns 0", async () => {
  await using nats = await startNats();
  const config = parseAgentConfig(agentToml(nats.url));
  const logs: Record<string, unknown>[] = [];
  const controller = new AbortController();
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  let started = 0;
  const running = runAgent(config, {
    signal: controller.signal,
    logger: new Logger({ write: (line) => logs.push(JSON.parse(line)) }),
    handlers: {
      ping: async (ctx) => {
        if (ctx.requestId !== "slow") return { finished: false };
        started++;
        await released;
        return { finished: true };
      },
    },
  });
  await waitFor("ready", () => logs.find((l) => l.event === "ready"));
  const nc = await connectAdmin(nats.url);
  try {
    const pending = ping(nc, "", "slow");
    await waitFor("the request to start", () => started === 1);
    controller.abort("SIGTERM");
    await waitFor(
      "shutting_down",
      () => logs.find((l) => l.event === "shutting_down"),
    );
    let exited = false;
    running.then(() => (exited = true));
    // The subscription is drained (no responders) while the request in
    // flight is still being worked on, and the agent has not exited.
    await waitFor(
      "no responders",
      () =>
        nc.request(deviceCommandSubject(DEVICE, Verb.Ping), undefined, {
          timeout: 2000,
        }).then(
          () => false,
          (error) => error.message.includes("no responders"),
        ),
    );
    assert.equal(exited, false);
    release();
    const reply = await pending;
    assert.deepEqual(JSON.parse(new TextDecoder().decode(reply.data)), {
      finished: true,
    });
    assert.equal(reply.headers?.get(Header.RequestId), "slow");
    assert.equal(await running, 0);
    assert.equal(logs.at(-1)?.event, "stopped");
  } finally {
    await nc.close();
  }
});

Deno.test("runAgent() returns 2 naming nats.creds_file when the creds file cannot be used", async () => {
  await using dir = await tempDir("agent-test-");
  // parseAgentConfig() does not read the file; runAgent() must not retry.
  const config = parseAgentConfig(
    `[agent]\ndevice_id = "${DEVICE}"\nruntime_enabled = false\n[nats]\nservers = ["nats://127.0.0.1:1"]\ncreds_file = "missing.creds"\n`,
    { path: join(dir.path, "agent.toml") },
  );
  const logs: Record<string, unknown>[] = [];
  const code = await runAgent(config, {
    logger: new Logger({ write: (line) => logs.push(JSON.parse(line)) }),
  });
  assert.equal(code, 2);
  const event = logs.find((l) => l.event === "config_invalid");
  assert.equal(event?.key, "nats.creds_file");
  assert.match(String(event?.message), /the file does not exist/);
  assert.ok(!logs.some((l) => l.event === "nats_connect_failed"));
});

Deno.test("agent/main.ts connects at once through the second server when the first is dead, 5 times", async () => {
  await using nats = await startNats();
  for (let run = 1; run <= 5; run++) {
    // A dir per run: a reused log file could show the last run's "ready".
    await using dir = await tempDir("agent-test-");
    const servers = [`nats://127.0.0.1:${pickFreePort()}`, nats.url];
    await using agent = await startAgent(
      dir.path,
      run % 2 ? servers : servers.reverse(),
    );
    await waitForAgentEvent(agent, "ready");
    const failed = (await agentEvents(agent)).filter((e) =>
      e.event === "nats_connect_failed"
    );
    assert.deepEqual(failed, [], `run ${run}: the first connect gave up`);
    const stopped = await agent.stop("SIGTERM");
    assert.equal(stopped.code, 0, await Deno.readTextFile(agent.logPath));
  }
});

Deno.test("agent/main.ts with a tls:// server that offers no TLS says so and never connects in clear", async () => {
  await using nats = await startNats();
  await using dir = await tempDir("agent-test-");
  await using agent = await startAgent(
    dir.path,
    nats.url.replace("nats://", "tls://"),
  );
  const failed = await waitForAgentEvent(agent, "nats_connect_failed");
  assert.match(
    String(failed.error),
    /TLS is required \(tls:\/\/ URL or tls option\) but the server does not offer it/,
  );
  const events = await agentEvents(agent);
  assert.ok(!events.some((e) => e.event === "nats_connected"));
  assert.equal((await agent.stop("SIGTERM")).code, 0);
});
