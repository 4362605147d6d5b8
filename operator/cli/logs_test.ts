// `fleet logs` usage errors, in-process: each exits 125 naming the flag,
// before connecting (-s names a port nothing listens on).
import assert from "node:assert/strict";
import { ExitCode } from "./exit_codes.ts";
import { runInProcess } from "./_test_cli.ts";

const NOWHERE = ["-s", "nats://127.0.0.1:1"];

Deno.test("runCli() logs usage errors exit 125 naming the flag, before connecting", async () => {
  const cases: [string[], RegExp][] = [
    [["logs", "d1"], /missing required argument 'container'/],
    [["logs"], /missing required argument 'device-id'/],
    [
      ["logs", "d1", "web", "--tail", "-1"],
      /--tail.*'-1'.*a whole number, 0 or more/,
    ],
    [["logs", "d1", "web", "--tail", "x"], /--tail.*'x'/],
    [
      ["logs", "d1", "web", "--since", "yesterday"],
      /--since.*'yesterday'.*a duration with a unit such as 10m, 1\.5h or 30s, or an RFC 3339 time/,
    ],
    [["logs", "d1", "web", "--since", "10"], /--since.*'10'.*with a unit/],
    [
      ["logs", "d1", "web", "--until", "2026-13-01T00:00:00Z"],
      /--until.*'2026-13-01T00:00:00Z'/,
    ],
    [[
      "logs",
      "d1",
      "web",
      "--since",
      "2026-01-02T00:00:00Z",
      "--until",
      "2026-01-01T00:00:00Z",
    ], /--until .* is before --since/],
    [
      ["logs", "d1", "web", "--limit-bytes", "0"],
      /--limit-bytes.*'0'.*a whole number of bytes, 1 or more/,
    ],
    [
      ["logs", "d1", "web", "--stdout-only", "--stderr-only"],
      /--stdout-only and --stderr-only cannot be used together/,
    ],
    [["logs", "a.b", "web"], /Invalid device id "a\.b"/],
    [["logs", "d1", ""], /container name must not be empty/],
    [["logs", "d1", "web", "extra"], /too many arguments/],
    [["logs", "d1", "web", "--bogus"], /unknown option '--bogus'/],
    [["--timeout", "0", "logs", "d1", "web"], /--timeout/],
  ];
  for (const [args, message] of cases) {
    const run = await runInProcess([...NOWHERE, ...args]);
    const what = args.join(" ");
    assert.equal(run.code, ExitCode.Failed, `${what}: ${run.stderr}`);
    assert.match(run.stderr, message, what);
    assert.doesNotMatch(run.stderr, /Cannot connect/, what);
    assert.equal(run.stdout, "", what);
  }
});

Deno.test("runCli() logs --json gives usage errors as an error object with exit_code 125", async () => {
  const run = await runInProcess([
    ...NOWHERE,
    "--json",
    "logs",
    "d1",
    "web",
    "--tail",
    "-1",
  ]);
  assert.equal(run.code, ExitCode.Failed);
  const { error } = JSON.parse(run.stdout);
  assert.equal(error.type, "usage");
  assert.equal(error.exit_code, ExitCode.Failed);
  assert.match(error.message, /--tail/);
});

Deno.test("runCli() logs --help documents the flags and the exit codes", async () => {
  const run = await runInProcess(["logs", "--help"]);
  assert.equal(run.code, ExitCode.Ok);
  const help = run.stdout.replace(/\s+/g, " ");
  for (
    const text of [
      "Usage: fleet logs [options] <device-id> <container>",
      "--tail <lines>",
      "--since <when>",
      "--until <when>",
      "-t, --timestamps",
      "-f, --follow",
      "--limit-bytes <bytes>",
      "--stdout-only",
      "--stderr-only",
      "124 timed out",
      "125 fleet failed",
      "130 Ctrl-C",
    ]
  ) {
    assert.ok(help.includes(text), text);
  }
});

Deno.test("runCli() a connection failure of logs exits 125, not ping's 3", async () => {
  const run = await runInProcess([...NOWHERE, "logs", "d1", "web"]);
  assert.equal(run.code, ExitCode.Failed);
  assert.match(
    run.stderr,
    /^error: Cannot connect to NATS at "nats:\/\/127\.0\.0\.1:1"/,
  );
});
