import assert from "node:assert/strict";
import { Command } from "commander";
import { commandOf } from "./command_line.ts";

function program(): Command {
  const p = new Command()
    .option("-s, --server <url>")
    .option("--timeout <duration>")
    .option("--json");
  p.command("ping");
  p.command("exec");
  return p;
}

Deno.test("commandOf() finds the command past options and their values", () => {
  assert.deepEqual(commandOf(program(), ["exec", "d1"]), {
    name: "exec",
    index: 0,
  });
  assert.deepEqual(
    commandOf(program(), ["-s", "exec", "--json", "--timeout", "2s", "ping"]),
    { name: "ping", index: 5 },
  );
  assert.deepEqual(commandOf(program(), ["--server=x", "exec"]), {
    name: "exec",
    index: 1,
  });
});

Deno.test("commandOf() is undefined without a known command, or when it comes after --", () => {
  assert.equal(commandOf(program(), []), undefined);
  assert.equal(commandOf(program(), ["pnig"]), undefined);
  assert.equal(commandOf(program(), ["--", "exec"]), undefined);
  assert.equal(commandOf(program(), ["-s"]), undefined);
});
