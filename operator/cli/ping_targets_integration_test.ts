import assert from "node:assert/strict";
import { ExitCode } from "./exit_codes.ts";
import type { PingResultJson } from "./ping_output.ts";
import { NatsServerProcess, TEST_ADMIN } from "../../testing/mod.ts";
import {
  adminArgs as auth,
  fakeAgents,
  runInProcess as run,
} from "./_test_cli.ts";
import { createTestRegistry, storeHeartbeat } from "./_test_registry.ts";

const SERVER = { config: { admin: TEST_ADMIN } };

/** A server with a registry of edge-01 (berlin), edge-02 (paris) and core-01 (berlin, no agent). */
async function fleet() {
  const server = await NatsServerProcess.start(SERVER);
  const agents = await fakeAgents(server.url, ["edge-01", "edge-02"]);
  await createTestRegistry(agents);
  await storeHeartbeat(agents, "edge-01", { site: "berlin", role: "edge" });
  await storeHeartbeat(agents, "edge-02", { site: "paris", role: "edge" });
  await storeHeartbeat(agents, "core-01", { site: "berlin", role: "core" });
  return {
    url: server.url,
    async [Symbol.asyncDispose]() {
      await agents.close();
      await server[Symbol.asyncDispose]();
    },
  };
}

Deno.test("runCli() ping 'edge-*' pings every known device the glob matches", async () => {
  await using f = await fleet();
  const { code, stdout, stderr } = await run([
    ...auth(f.url),
    "ping",
    "edge-*",
  ]);
  assert.equal(code, ExitCode.Ok, stderr);
  const lines = stdout.trimEnd().split("\n");
  assert.match(lines[1], /^edge-01 +ok /);
  assert.match(lines[2], /^edge-02 +ok /);
  assert.equal(lines.length, 3);
  assert.equal(stderr, "2 of 2 answered\n");
});

Deno.test("runCli() ping -l site=berlin selects by label and names the offline device in the summary", async () => {
  await using f = await fleet();
  const { code, stdout, stderr } = await run([
    ...auth(f.url),
    "ping",
    "-l",
    "site=berlin",
  ]);
  assert.equal(code, ExitCode.NotAllAnswered);
  assert.match(stdout, /^core-01 +offline /m);
  assert.match(stdout, /^edge-01 +ok /m);
  assert.doesNotMatch(stdout, /edge-02/);
  assert.equal(
    stderr,
    "core-01: offline (no responders)\n1 of 2 answered; offline: core-01\n",
  );
});

Deno.test("runCli() ping --all --json pings every known device, one array", async () => {
  await using f = await fleet();
  const { code, stdout } = await run([
    ...auth(f.url),
    "ping",
    "--all",
    "--json",
  ]);
  assert.equal(code, ExitCode.NotAllAnswered);
  const results: PingResultJson[] = JSON.parse(stdout);
  assert.deepEqual(results.map((r) => [r.device_id, r.ok]), [
    ["core-01", false],
    ["edge-01", true],
    ["edge-02", true],
  ]);
});

Deno.test("runCli() ping 'edge-*' -l role!=edge narrows the glob; nothing left is a usage error naming the selector", async () => {
  await using f = await fleet();
  const narrowed = await run([
    ...auth(f.url),
    "ping",
    "edge-*",
    "-l",
    "site=paris",
  ]);
  assert.equal(narrowed.code, ExitCode.Ok, narrowed.stderr);
  assert.match(narrowed.stdout, /^edge-02 +ok /m);
  assert.doesNotMatch(narrowed.stdout, /edge-01/);

  const none = await run([
    ...auth(f.url),
    "ping",
    "edge-*",
    "-l",
    "role!=edge",
  ]);
  assert.equal(none.code, ExitCode.Usage);
  assert.equal(none.stdout, "");
  assert.equal(
    none.stderr,
    'error: No targeted device matches the label selector "role!=edge"\n',
  );
});

Deno.test("runCli() ping with a glob that matches nothing exits 2 naming it, and pings nobody", async () => {
  await using f = await fleet();
  const { code, stdout, stderr } = await run([
    ...auth(f.url),
    "ping",
    "edge-01",
    "gw-*",
  ]);
  assert.equal(code, ExitCode.Usage);
  assert.equal(stdout, "");
  assert.equal(stderr, 'error: No known device matches "gw-*"\n');
  const json = await run([...auth(f.url), "ping", "gw-*", "--json"]);
  assert.equal(json.code, ExitCode.Usage);
  assert.equal(JSON.parse(json.stdout).error.type, "usage");
});

Deno.test("runCli() ping without targets, or --all with ids, is a usage error before connecting", async () => {
  const dead = ["-s", "nats://127.0.0.1:1"];
  const none = await run([...dead, "ping"]);
  assert.equal(none.code, ExitCode.Usage);
  assert.match(none.stderr, /^error: No devices named: give device ids/);
  const both = await run([...dead, "ping", "--all", "d1"]);
  assert.equal(both.code, ExitCode.Usage);
  assert.match(both.stderr, /--all takes no device ids or globs, got "d1"/);
  const bad = await run([...dead, "ping", "-l", "site=a b"]);
  assert.equal(bad.code, ExitCode.Usage);
  assert.match(bad.stderr, /Invalid label selector "site=a b"/);
  const conc = await run([...dead, "ping", "d1", "--concurrency", "0"]);
  assert.equal(conc.code, ExitCode.Usage);
});

Deno.test("runCli() ping --all without a registry stream exits 2 and says the registry is missing", async () => {
  await using server = await NatsServerProcess.start(SERVER);
  const { code, stderr } = await run([...auth(server.url), "ping", "--all"]);
  assert.equal(code, ExitCode.Usage);
  assert.match(stderr, /^error: Cannot resolve the targets: /);
});
