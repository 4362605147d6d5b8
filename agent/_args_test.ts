import assert from "node:assert/strict";
import { parseArgs } from "./_args.ts";

Deno.test("parseArgs() reads --config in every spelling", () => {
  for (
    const args of [
      ["--config", "a.toml"],
      ["-c", "a.toml"],
      ["--config=a.toml"],
    ]
  ) {
    assert.deepEqual(parseArgs(args), { kind: "run", configPath: "a.toml" });
  }
});

Deno.test("parseArgs() recognises --help and --version", () => {
  assert.deepEqual(parseArgs(["--help"]), { kind: "help" });
  assert.deepEqual(parseArgs(["-h", "--config"]), { kind: "help" });
  assert.deepEqual(parseArgs(["--version"]), { kind: "version" });
});

Deno.test("parseArgs() reports usage errors", () => {
  const cases: [string[], string][] = [
    [[], "missing --config <file>"],
    [["--config"], "option --config needs a file"],
    [["--config="], "option --config needs a file"],
    [["--verbose"], 'unknown option "--verbose"'],
    [["a.toml"], 'unexpected argument "a.toml"'],
    [["-c", "a", "-c", "b"], "option --config given twice"],
  ];
  for (const [args, message] of cases) {
    assert.deepEqual(parseArgs(args), { kind: "usage_error", message });
  }
});
