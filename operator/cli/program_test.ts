import assert from "node:assert/strict";
import { PACKAGE_VERSION } from "../../contracts/mod.ts";
import { runInProcess as runWithEnv } from "./_test_cli.ts";
import { tempDir } from "../../testing/mod.ts";
import { ExitCode } from "./exit_codes.ts";

/** Runs the CLI in-process with an empty environment; no NATS server is needed by these cases. */
function run(...args: string[]) {
  return runWithEnv(args, {});
}

Deno.test("runCli() prints help with the exit codes and returns 0 for --help", async () => {
  const { code, stdout } = await run("--help");
  assert.equal(code, ExitCode.Ok);
  assert.match(stdout, /Usage: fleet/);
  assert.match(stdout, /ping \[options\] \[target\.\.\.\]/);
  assert.match(stdout, /--server <url>/);
  assert.match(stdout, /NATS_URL/);
  assert.ok(stdout.includes("Exit codes:\n  0  every device answered"));
  assert.match(stdout, /logs \[options\] <device-id> <container>/);
  assert.match(
    stdout,
    /exec \[options\] \[target\] \[container\] +run a command/,
  );
  assert.ok(stdout.includes("Exit codes of logs and exec"));
  assert.ok(stdout.includes("  124  timed out"));
  const ping = await run("ping", "--help");
  assert.equal(ping.code, ExitCode.Ok);
  assert.match(ping.stdout, /Usage: fleet ping/);
  assert.match(ping.stdout, /--timeout <duration>/);
  assert.match(ping.stdout, /Exit codes:/);
});

Deno.test("runCli() prints the package version for --version and -V", async () => {
  for (const flag of ["--version", "-V"]) {
    const { code, stdout } = await run(flag);
    assert.equal(code, ExitCode.Ok, flag);
    assert.equal(stdout, `${PACKAGE_VERSION}\n`, flag);
  }
});

Deno.test("runCli() help documents every usage failure under exit code 2 and the --timeout units and maximum", async () => {
  const { stdout } = await run("--help");
  const help = stdout.replace(/\s+/g, " ");
  assert.match(help, /-V, --version/);
  assert.match(help, /2 usage error: .*unreadable --creds file/);
  assert.match(help, /2 usage error: .*malformed --server or NATS_URL/);
  assert.match(help, /--timeout <duration> .*ms, s, m or h .*at most 24h/);
  assert.match(help, /1\.5s/);
  for (
    const name of ["NATS_USER", "NATS_PASSWORD", "NATS_TOKEN", "NATS_CREDS"]
  ) {
    assert.ok(help.includes(`(env ${name})`), name);
  }
});

Deno.test("runCli() returns the usage code for a bad --timeout, naming the flag and the value", async () => {
  for (const value of ["abc", "0", "-5s"]) {
    const { code, stderr } = await run("ping", "d1", "--timeout", value);
    assert.equal(code, ExitCode.Usage, value);
    assert.match(stderr, /--timeout <duration>/);
    assert.ok(stderr.includes(`'${value}'`), stderr);
  }
});

Deno.test("runCli() returns the usage code for an invalid device id before connecting", async () => {
  // -s points at a port nothing listens on: a connection attempt would give
  // the connection code instead.
  const { code, stderr } = await run(
    "ping",
    "ok-1",
    "a.b",
    "-s",
    "nats://127.0.0.1:1",
  );
  assert.equal(code, ExitCode.Usage);
  assert.match(stderr, /^error: Invalid device id "a\.b": contains "\."/);
});

Deno.test("runCli() returns the usage code for no command, an unknown command, a missing id and an unknown flag", async () => {
  for (
    const args of [[], ["pnig", "d1"], ["ping"], ["ping", "d1", "--bogus"]]
  ) {
    const { code, stderr } = await run(...args);
    assert.equal(code, ExitCode.Usage, args.join(" "));
    assert.notEqual(stderr, "");
  }
});

Deno.test("runCli() returns the connection code when the server is unreachable", async () => {
  const { code, stdout, stderr } = await run(
    "ping",
    "d1",
    "-s",
    "nats://127.0.0.1:1",
  );
  assert.equal(code, ExitCode.Connection);
  assert.equal(stdout, "");
  assert.match(
    stderr,
    /^error: Cannot connect to NATS at "nats:\/\/127\.0\.0\.1:1": server unreachable/,
  );
});

Deno.test("runCli() returns the usage code for a malformed --server, naming the flag and the problem", async () => {
  const cases: [string, RegExp][] = [
    ["not a url", /contains whitespace/],
    ["::::", /no host/],
    ["%%%", /not a URL/],
    ["nats://127.0.0.1:99999", /port 99999 is out of range/],
    ["ws://127.0.0.1:8080", /scheme "ws" is not supported/],
    ["nats://127.0.0.1:4222,%%%", /not a URL/],
    [" , ", /no server given/],
  ];
  for (const [server, problem] of cases) {
    const { code, stdout, stderr } = await run("ping", "d1", "-s", server);
    assert.equal(code, ExitCode.Usage, `${server}: ${stderr}`);
    assert.equal(stdout, "");
    assert.match(stderr, /^error: --server: /, server);
    assert.match(stderr, problem, server);
    assert.doesNotMatch(stderr, /connection failed|Cannot connect/, server);
  }
});

Deno.test("runCli() returns the usage code for a malformed NATS_URL, naming the variable", async () => {
  const { code, stderr } = await runWithEnv(["ping", "d1"], {
    NATS_URL: "nats://admin:s3cret@127.0.0.1:99999",
  });
  assert.equal(code, ExitCode.Usage, stderr);
  assert.match(stderr, /^error: NATS_URL: .*port 99999 is out of range/);
  assert.ok(!stderr.includes("s3cret"), stderr);
});

Deno.test("runCli() never echoes a password typed where a command was expected", async () => {
  const { code, stderr } = await run("nats://op:s3cret@127.0.0.1", "ping");
  assert.equal(code, ExitCode.Usage);
  assert.ok(!stderr.includes("s3cret"), stderr);
  assert.match(stderr, /op:\*\*\*@127\.0\.0\.1/);
});

Deno.test("runCli() returns the usage code for a --timeout over the maximum, naming the maximum", async () => {
  for (const value of ["597h", "25h", "86400001", "1441m"]) {
    const { code, stderr } = await run("ping", "d1", "--timeout", value);
    assert.equal(code, ExitCode.Usage, `${value}: ${stderr}`);
    assert.ok(stderr.includes(`'${value}'`), stderr);
    assert.match(stderr, /at most 24h/, value);
  }
});

Deno.test("runCli() --json prints one error object on stdout, with the same exit code, for usage and connection failures", async () => {
  await using home = await tempDir();
  const cases: [string[], number, Record<string, unknown>][] = [
    [["--json", "ping", "a.b"], ExitCode.Usage, { type: "usage" }],
    [["ping", "d1", "--timeout", "0", "--json"], ExitCode.Usage, {
      type: "usage",
      code: "commander.invalidArgument",
    }],
    [["--json"], ExitCode.Usage, { type: "usage" }],
    [["--json", "-s", "%%%", "ping", "d1"], ExitCode.Usage, {
      type: "usage",
      source: "--server",
    }],
    [["--json", "--context", "nope", "ping", "d1"], ExitCode.Usage, {
      type: "usage",
      file: `${home.path}/.config/nats/context/nope.json`,
    }],
    [
      ["--json", "-s", "nats://op:s3cret@127.0.0.1:1", "ping", "d1"],
      ExitCode.Connection,
      {
        type: "connection",
        reason: "unreachable",
        servers: ["nats://127.0.0.1:1"],
      },
    ],
  ];
  for (const [args, exitCode, expected] of cases) {
    const { code, stdout, stderr } = await runWithEnv(args, {
      HOME: home.path,
    });
    const what = args.join(" ");
    assert.equal(code, exitCode, `${what}: ${stderr}`);
    assert.ok(
      stdout.endsWith("}\n") && stdout.split("\n").length === 2,
      stdout,
    );
    const { error } = JSON.parse(stdout);
    assert.equal(error.exit_code, exitCode, what);
    assert.equal(typeof error.message, "string", what);
    for (const [key, value] of Object.entries(expected)) {
      assert.deepEqual(error[key], value, `${what}: ${key}`);
    }
    assert.notEqual(stderr, "", what);
    assert.ok(!stdout.includes("s3cret") && !stderr.includes("s3cret"));
  }
});
