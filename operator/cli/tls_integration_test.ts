// `fleet` over TLS against real nats-servers with TLS: mutual TLS from the
// flags, the environment and a context; TLS settings that cannot work
// (exit 2, before connecting); TLS failures (exit 3, saying what to fix).
import assert from "node:assert/strict";
import type { NatsConnection } from "@nats-io/nats-core";
import { connect, type NatsTlsFiles } from "../../nats/mod.ts";
import { encodeJson } from "../../contracts/mod.ts";
import { ExitCode } from "./exit_codes.ts";
import type { CliErrorJson } from "./json_errors.ts";
import {
  NatsServerProcess,
  openBlackhole,
  tempDir,
  TEST_ADMIN,
  type TlsFiles,
  writeTlsTestFiles,
} from "../../testing/mod.ts";
import {
  adminArgs,
  pingReply,
  runInProcess as run,
  runProcess,
} from "./_test_cli.ts";

type Files = Awaited<ReturnType<typeof writeTlsTestFiles>>;

interface ServerTls {
  verify?: boolean;
  handshakeFirst?: boolean;
  cert?: "good" | "expired" | "localhost";
}

/** A nats-server (in a dir of its own) with TLS, only for TEST_ADMIN. */
function startServer(
  files: Files,
  options: ServerTls = {},
): Promise<NatsServerProcess> {
  const pair = options.cert === "expired"
    ? files.bad.expiredServer
    : options.cert === "localhost"
    ? files.bad.localhostOnlyServer
    : files.server;
  return NatsServerProcess.start({
    config: {
      admin: TEST_ADMIN,
      tls: {
        ...pair,
        caFile: files.caFile,
        verify: options.verify,
        handshakeFirst: options.handshakeFirst,
      },
    },
  });
}

/** The admin's mutual TLS options for connect(). */
function adminTls(files: TlsFiles): NatsTlsFiles {
  return {
    caFile: files.caFile,
    certFile: files.clients.admin.certFile,
    keyFile: files.clients.admin.keyFile,
    handshakeFirst: true,
  };
}

/** A stand-in agent for `deviceId`, over mutual TLS. */
async function fakeAgent(
  url: string,
  files: TlsFiles,
  deviceId: string,
): Promise<NatsConnection> {
  const nc = await connect({
    servers: url,
    user: TEST_ADMIN.user,
    pass: TEST_ADMIN.password,
    tls: adminTls(files),
  });
  nc.subscribe(`device-commands.${deviceId}.ping`, {
    callback: (error, msg) => {
      if (!error) msg.respond(encodeJson(pingReply(deviceId)));
    },
  });
  await nc.flush();
  return nc;
}

/** `--tlsca … --tlscert … --tlskey … --tlsfirst` for the admin's certificate. */
function tlsFlags(files: TlsFiles): string[] {
  const { certFile, keyFile } = files.clients.admin;
  return [
    "--tlsca",
    files.caFile,
    "--tlscert",
    certFile,
    "--tlskey",
    keyFile,
    "--tlsfirst",
  ];
}

Deno.test("runCli() ping works over mutual TLS with --tlsca, --tlscert, --tlskey and --tlsfirst", async () => {
  await using dir = await tempDir("cli-tls-test-");
  const files = await writeTlsTestFiles(dir.path, { clients: ["admin"] });
  await using server = await startServer(files, {
    verify: true,
    handshakeFirst: true,
  });
  const url = server.url.replace("nats://", "tls://");
  await using _agent = await fakeAgent(url, files, "dev-a");
  const { code, stdout, stderr } = await run([
    ...adminArgs(url),
    ...tlsFlags(files),
    "ping",
    "dev-a",
  ]);
  assert.equal(code, ExitCode.Ok, stderr);
  assert.match(stdout, /^dev-a +ok /m);
});

Deno.test("runCli() ping takes TLS settings from NATS_CA, NATS_CERT, NATS_KEY and a context's ca, cert, key and tls_first, flags first", async () => {
  await using dir = await tempDir("cli-tls-test-");
  const files = await writeTlsTestFiles(dir.path, { clients: ["admin"] });
  await using server = await startServer(files, {
    verify: true,
    handshakeFirst: true,
  });
  const url = server.url.replace("nats://", "tls://");
  await using _agent = await fakeAgent(url, files, "dev-a");
  const { certFile, keyFile } = files.clients.admin;
  const notPem = files.bad.notPemFile;
  const env = { NATS_CA: files.caFile, NATS_CERT: certFile, NATS_KEY: keyFile };
  const contextDir = `${dir.path}/config/nats/context`;
  await Deno.mkdir(contextDir, { recursive: true });
  await Deno.writeTextFile(
    `${contextDir}/edge.json`,
    JSON.stringify({
      url,
      user: TEST_ADMIN.user,
      password: TEST_ADMIN.password,
      ca: notPem, // overridden by NATS_CA below
      cert: certFile,
      key: keyFile,
      tls_first: true,
    }),
  );
  const home = { XDG_CONFIG_HOME: `${dir.path}/config` };
  for (
    const [what, args, vars] of [
      ["the environment", [...adminArgs(url), "--tlsfirst"], env],
      [
        "a flag over the environment",
        [...adminArgs(url), "--tlsfirst", "--tlsca", files.caFile],
        { ...env, NATS_CA: notPem },
      ],
      [
        "the environment over a context",
        ["--context", "edge"],
        { ...home, NATS_CA: files.caFile },
      ],
      [
        "a flag over a context",
        ["--context", "edge", "--tlsca", files.caFile],
        home,
      ],
    ] as const
  ) {
    const { code, stdout, stderr } = await run([...args, "ping", "dev-a"], {
      ...vars,
    });
    assert.equal(code, ExitCode.Ok, `${what}: ${stderr}`);
    assert.match(stdout, /^dev-a +ok /m, what);
  }
  // The context's own (bad) ca, when nothing overrides it.
  const bad = await run(["--context", "edge", "ping", "dev-a"], home);
  assert.equal(bad.code, ExitCode.Usage, bad.stderr);
  assert.match(
    bad.stderr,
    /context "edge" \(.*\) ca ".*not-pem\.der": it is not PEM/,
  );
});

Deno.test("runCli() refuses TLS settings that cannot work with the usage code, naming the flag and the file, before connecting", async () => {
  await using dir = await tempDir("cli-tls-test-");
  const files = await writeTlsTestFiles(dir.path, { clients: ["admin"] });
  const { certFile, keyFile } = files.clients.admin;
  // Nothing listens on port 9: a connection attempt would say unreachable.
  const server = ["-s", "tls://127.0.0.1:9"];
  for (
    const [args, env, message, source, file] of [
      [
        ["--tlsca", files.bad.notPemFile],
        {},
        `error: Cannot use --tlsca ${
          JSON.stringify(files.bad.notPemFile)
        }: it is not PEM`,
        "--tlsca",
        files.bad.notPemFile,
      ],
      [
        [],
        { NATS_CA: `${dir.path}/missing.pem` },
        `error: Cannot use NATS_CA ${
          JSON.stringify(`${dir.path}/missing.pem`)
        }: the file does not exist`,
        "NATS_CA",
        `${dir.path}/missing.pem`,
      ],
      [
        ["--tlscert", certFile, "--tlsfirst"],
        {},
        "error: Cannot use --tlscert: a client certificate needs its key: set --tlskey",
        "--tlscert",
        undefined,
      ],
      [
        ["--tlscert", certFile, "--tlskey", keyFile],
        {},
        "error: Cannot use --tlscert: a client certificate needs --tlsfirst: Deno cannot present a client certificate",
        "--tlscert",
        undefined,
      ],
    ] as const
  ) {
    const { code, stdout, stderr } = await run(
      [...server, ...args, "--json", "ping", "dev-a"],
      env,
    );
    assert.equal(code, ExitCode.Usage, stderr);
    assert.ok(stderr.startsWith(message), stderr);
    const json = JSON.parse(stdout) as CliErrorJson;
    assert.equal(json.error.type, "usage");
    assert.equal(json.error.source, source);
    assert.equal(json.error.file, file);
  }
});

Deno.test("runCli() TLS failures exit with the connection code and say what to fix", async () => {
  await using dir = await tempDir("cli-tls-test-");
  const files = await writeTlsTestFiles(dir.path, { clients: ["admin"] });
  const { certFile, keyFile } = files.clients.admin;
  const stranger = files.bad.strangerClient;
  await using mutual = await startServer(files, {
    verify: true,
    handshakeFirst: true,
  });
  await using plainTls = await startServer(files);
  await using expired = await startServer(files, { cert: "expired" });
  await using localhost = await startServer(files, { cert: "localhost" });
  const ca = ["--tlsca", files.caFile];
  for (
    const [what, url, args, advice] of [
      [
        "no client certificate",
        mutual.url,
        [...ca, "--tlsfirst"],
        "the server requires a client certificate: give --tlscert and --tlskey (with --tlsfirst)",
      ],
      [
        "a client certificate of another CA",
        mutual.url,
        [
          ...ca,
          "--tlsfirst",
          "--tlscert",
          stranger.certFile,
          "--tlskey",
          stranger.keyFile,
        ],
        "the server refused the client certificate: give one signed by a CA the server trusts (its tls ca_file)",
      ],
      [
        "no TLS handshake first",
        mutual.url,
        [...ca],
        "the server wants the TLS handshake first (handshake_first): add --tlsfirst, and --tlscert and --tlskey if it verifies client certificates",
      ],
      [
        "a server certificate of an unknown CA",
        plainTls.url,
        [],
        "the server's certificate is signed by a CA this machine does not trust: give that CA with --tlsca",
      ],
      [
        "TLS first to a server that does not do it",
        plainTls.url,
        [...ca, "--tlsfirst", "--tlscert", certFile, "--tlskey", keyFile],
        "the server does not start with TLS: drop --tlsfirst (and the client certificate, which needs it), or set handshake_first in the server's tls block",
      ],
      [
        "an expired server certificate",
        expired.url,
        [...ca],
        "the server's certificate has expired or is not valid yet: renew it on the server (or check this machine's clock)",
      ],
      [
        "a server certificate for another name",
        localhost.url,
        [...ca],
        "the server's certificate is not valid for the host in the server URL: connect by a name or address the certificate carries",
      ],
    ] as const
  ) {
    const { code, stdout, stderr } = await run([
      ...adminArgs(url),
      ...args,
      "--json",
      "ping",
      "dev-a",
    ]);
    assert.equal(code, ExitCode.Connection, `${what}: ${stderr}`);
    assert.match(
      stderr,
      new RegExp(`^error: Cannot connect to NATS at "${url}": TLS failed \\(`),
      what,
    );
    assert.ok(stderr.trimEnd().endsWith(`); ${advice}`), `${what}: ${stderr}`);
    const json = JSON.parse(stdout) as CliErrorJson;
    assert.equal(json.error.reason, "tls", what);
    assert.equal(json.error.exit_code, ExitCode.Connection, what);
  }
});

Deno.test("fleet ping --tlsfirst to an address that never answers gives up within --timeout 1s, not the 20 s default", async () => {
  await using hole = await openBlackhole();
  await using dir = await tempDir("cli-tls-test-");
  const files = await writeTlsTestFiles(dir.path);
  const started = performance.now();
  const { code, stderr } = await runProcess([
    "-s",
    `tls://127.0.0.1:${hole.port}`,
    "--tlsca",
    files.caFile,
    "--tlsfirst",
    "--timeout",
    "1s",
    "ping",
    "dev-a",
  ]);
  const elapsed = performance.now() - started;
  assert.equal(code, ExitCode.Connection, stderr);
  assert.match(stderr, /no answer from the server in time/);
  // Deno's start-up is in there too; never a tight bound on a loaded machine.
  assert.ok(elapsed < 20_000, `took ${Math.round(elapsed)} ms`);
});

Deno.test("runCli() --help lists the TLS flags, their variables and that mutual TLS needs --tlsfirst", async () => {
  const { code, stdout } = await run(["--help"]);
  assert.equal(code, ExitCode.Ok);
  for (
    const flag of ["--tlsca <file>", "--tlscert <file>", "--tlskey <file>"]
  ) {
    assert.ok(stdout.includes(flag), flag);
  }
  assert.match(stdout, /--tlsfirst +TLS handshake before the server's INFO/);
  assert.match(stdout, /\(env\s+NATS_CA\)/);
  assert.match(stdout, /\(env\s+NATS_CERT\)/);
  assert.match(stdout, /\(env NATS_KEY\)/);
  assert.match(stdout, /Mutual TLS needs --tlscert,\s+--tlskey and --tlsfirst/);
});
