import assert from "node:assert/strict";
import { CommanderError } from "commander";
import { cliErrorJson, wantsJson } from "./json_errors.ts";
import { CliConnectionError, CliUsageError } from "./errors.ts";
import { ExitCode } from "./exit_codes.ts";

Deno.test("cliErrorJson() describes a usage error with its source and file", () => {
  const error = new CliUsageError(
    "NATS_CREDS: Cannot use NATS credentials file",
    {
      source: "NATS_CREDS",
      file: "/x.creds",
    },
  );
  assert.deepEqual(cliErrorJson(error), {
    error: {
      type: "usage",
      message: "NATS_CREDS: Cannot use NATS credentials file",
      exit_code: ExitCode.Usage,
      source: "NATS_CREDS",
      file: "/x.creds",
    },
  });
});

Deno.test("cliErrorJson() describes a connection error with its reason and servers, without a password", () => {
  const error = new CliConnectionError(
    "nats://u:pw@h:1,nats://h:2",
    "unreachable",
  );
  const json = cliErrorJson(error);
  assert.equal(json.error.type, "connection");
  assert.equal(json.error.exit_code, ExitCode.Connection);
  assert.equal(json.error.reason, "unreachable");
  assert.deepEqual(json.error.servers, ["nats://u:***@h:1", "nats://h:2"]);
  assert.ok(!JSON.stringify(json).includes("pw@"));
});

Deno.test("cliErrorJson() describes commander's errors as usage errors and anything else as internal", () => {
  const commander = new CommanderError(
    1,
    "commander.unknownOption",
    "error: unknown option '--bogus'",
  );
  assert.deepEqual(cliErrorJson(commander), {
    error: {
      type: "usage",
      message: "unknown option '--bogus'",
      exit_code: ExitCode.Usage,
      code: "commander.unknownOption",
    },
  });
  const help = new CommanderError(1, "commander.help", "(outputHelp)");
  assert.equal(
    cliErrorJson(help).error.message,
    "no command given; see fleet --help",
  );
  const bug = cliErrorJson(new TypeError("x is undefined at nats://a:b@h"));
  assert.deepEqual(bug, {
    error: {
      type: "internal",
      message: "TypeError: x is undefined at nats://a:***@h",
      exit_code: ExitCode.Internal,
    },
  });
});

Deno.test("wantsJson() finds --json among the options, not after --", () => {
  assert.equal(wantsJson(["--json", "ping"]), true);
  assert.equal(wantsJson(["ping", "d1", "--json"]), true);
  assert.equal(wantsJson(["ping", "d1"]), false);
  assert.equal(wantsJson(["exec", "d1", "--", "tool", "--json"]), false);
});
