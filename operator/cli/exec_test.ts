// `fleet exec` usage errors, in-process: each exits 125 naming the flag,
// before connecting (-s names a port nothing listens on).
import assert from "node:assert/strict";
import { ExitCode } from "./exit_codes.ts";
import { runInProcess } from "./_test_cli.ts";

const NOWHERE = ["-s", "nats://127.0.0.1:1"];

Deno.test("runCli() exec usage errors exit 125 naming the flag, before connecting", async () => {
  const cases: [string[], RegExp][] = [
    [["exec", "d1", "--", "ls"], /needs a container or --host, not neither/],
    [
      ["exec", "d1", "web", "--host", "--", "ls"],
      /needs a container or --host, not both/,
    ],
    [
      ["exec", "d1", "web"],
      /The command goes after --: fleet exec d1 web -- <cmd> \[args\.\.\.\]/,
    ],
    [["exec", "d1", "web", "ls"], /The command goes after --/],
    [["exec", "d1", "web", "--"], /no command after --/],
    [
      ["exec", "d1", "web", "--", ""],
      /"exec" request field "cmd\[0\]" must not be empty/,
    ],
    [
      ["exec", "d1", "web", "-e", "NOVALUE", "--", "ls"],
      /--env.*'NOVALUE'.*NAME=VALUE/,
    ],
    [["exec", "d1", "web", "-e", "=x", "--", "ls"], /--env.*'=x'/],
    [
      ["exec", "d1", "web", "-w", "tmp", "--", "ls"],
      /"workdir" must be an absolute path/,
    ],
    [
      ["exec", "d1", "web", "--limit-bytes", "-1", "--", "ls"],
      /--limit-bytes.*'-1'/,
    ],
    [["exec", "a.b", "web", "--", "ls"], /Invalid device id "a\.b"/],
    [["exec", "d1", "", "--", "ls"], /container name must not be empty/],
    [["exec", "d1", "web", "--bogus", "--", "ls"], /unknown option '--bogus'/],
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

Deno.test("runCli() exec --json gives a usage error as an error object with exit_code 125", async () => {
  const run = await runInProcess([
    ...NOWHERE,
    "exec",
    "--json",
    "d1",
    "--",
    "ls",
  ]);
  assert.equal(run.code, ExitCode.Failed);
  const { error } = JSON.parse(run.stdout);
  assert.equal(error.type, "usage");
  assert.equal(error.exit_code, ExitCode.Failed);
});

Deno.test("runCli() exec takes everything after -- as the command, fleet's own flags included", async () => {
  // --bogus after -- belongs to the command: the run gets as far as connecting.
  const run = await runInProcess([
    ...NOWHERE,
    "exec",
    "d1",
    "web",
    "--",
    "ls",
    "--bogus",
    "--json",
  ]);
  assert.equal(run.code, ExitCode.Failed);
  assert.match(run.stderr, /^error: Cannot connect to NATS/);
  assert.equal(run.stdout, "", "--json after -- is the command's");
});

Deno.test("runCli() exec --help documents the flags, -i's limit and the exit codes", async () => {
  const run = await runInProcess(["exec", "--help"]);
  assert.equal(run.code, ExitCode.Ok);
  const help = run.stdout.replace(/\s+/g, " ");
  for (
    const text of [
      "Usage: fleet exec [options] <target> [container] -- <cmd> [args...]",
      "--host",
      "-i, --stdin",
      "512 KiB",
      "-e, --env <NAME=VALUE>",
      "-w, --workdir <dir>",
      "--limit-bytes <bytes>",
      "0-255 the remote command's exit code",
      "124 timed out",
      "125 fleet failed",
      "130 Ctrl-C",
      "stdout_encoding",
    ]
  ) {
    assert.ok(help.includes(text), text);
  }
});
