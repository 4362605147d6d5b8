// `fleet exec` on several devices (a glob, --all, -l): real nats-server,
// a registry stream, and in-process CommandServers with a stand-in exec.
import assert from "node:assert/strict";
import type { NatsConnection } from "@nats-io/nats-core";
import { CommandServer, Logger, type StreamHandler } from "../../agent/mod.ts";
import type { ExecRequest } from "../../contracts/mod.ts";
import { connect } from "../../nats/mod.ts";
import { NatsServerProcess, TEST_ADMIN } from "../../testing/mod.ts";
import { ExitCode } from "./exit_codes.ts";
import type { ExecFanoutJson } from "./exec_fanout.ts";
import { adminArgs as auth, runInProcess as run } from "./_test_cli.ts";
import { createTestRegistry, storeHeartbeat } from "./_test_registry.ts";

const encoder = new TextEncoder();

/** `echo <words>`, `whoami` (the device id), `exit <n>`, `sleep` (until stopped). */
function standInExec(deviceId: string): StreamHandler<ExecRequest> {
  return async function* (ctx) {
    const [name, ...args] = ctx.request.cmd;
    if (name === "echo") {
      yield { stream: "stdout", data: encoder.encode(`${args.join(" ")}\n`) };
    } else if (name === "whoami") {
      yield { stream: "stdout", data: encoder.encode(deviceId) };
      yield { stream: "stderr", data: encoder.encode("note\n") };
    } else if (name === "exit") {
      return { exitCode: Number(args[0]) };
    } else if (name === "sleep") {
      await new Promise((resolve) =>
        ctx.signal.addEventListener("abort", resolve, { once: true })
      );
    }
    return { exitCode: 0 };
  };
}

/** edge-01 (berlin) and edge-02 (paris) running; core-01 (berlin) known but offline. */
async function fleet() {
  const server = await NatsServerProcess.start({
    config: { admin: TEST_ADMIN },
  });
  const nc: NatsConnection = await connect({
    servers: server.url,
    user: TEST_ADMIN.user,
    pass: TEST_ADMIN.password,
  });
  const servers: CommandServer[] = [];
  for (const deviceId of ["edge-01", "edge-02"]) {
    const commands = new CommandServer(nc, {
      deviceId,
      runtime: "disabled",
      logger: new Logger({ write: () => {} }),
      handlers: { exec: standInExec(deviceId) },
    });
    servers.push(commands);
    await commands.start();
  }
  await createTestRegistry(nc);
  await storeHeartbeat(nc, "edge-01", { site: "berlin" });
  await storeHeartbeat(nc, "edge-02", { site: "paris" });
  await storeHeartbeat(nc, "core-01", { site: "berlin" });
  return {
    url: server.url,
    async [Symbol.asyncDispose]() {
      await Promise.all(servers.map((s) => s.drain()));
      await nc.close();
      await server[Symbol.asyncDispose]();
    },
  };
}

Deno.test("runCli() exec 'edge-*' --host runs on every matching device, lines prefixed with the device id", async () => {
  await using f = await fleet();
  const { code, stdout, stderr } = await run([
    ...auth(f.url),
    "exec",
    "edge-*",
    "--host",
    "--",
    "whoami",
  ]);
  assert.equal(code, 0, stderr);
  assert.deepEqual(stdout.split("\n").filter(Boolean).sort(), [
    "edge-01: edge-01",
    "edge-02: edge-02",
  ]);
  assert.deepEqual(stderr.split("\n").filter(Boolean).sort(), [
    "2 of 2 answered",
    "edge-01: note",
    "edge-02: note",
  ]);
  assert.ok(stderr.endsWith("2 of 2 answered\n"));
});

Deno.test("runCli() exec --all names the offline device, and exits 125 when one did not run it", async () => {
  await using f = await fleet();
  const { code, stdout, stderr } = await run([
    ...auth(f.url),
    "exec",
    "--all",
    "web",
    "--",
    "echo",
    "hi",
  ]);
  assert.equal(code, ExitCode.Failed);
  assert.deepEqual(stdout.split("\n").filter(Boolean).sort(), [
    "edge-01: hi",
    "edge-02: hi",
  ]);
  assert.match(
    stderr,
    /^core-01: Cannot exec device "core-01": no responders/m,
  );
  assert.ok(
    stderr.endsWith("2 of 3 answered; offline: core-01\n"),
    stderr,
  );
});

Deno.test("runCli() exec -l site=paris --json prints one array and exits with the largest exit code", async () => {
  await using f = await fleet();
  const { code, stdout, stderr } = await run([
    ...auth(f.url),
    "exec",
    "-l",
    "site=paris",
    "--host",
    "--json",
    "--",
    "exit",
    "3",
  ]);
  assert.equal(code, 3, stderr);
  const results: ExecFanoutJson[] = JSON.parse(stdout);
  assert.equal(results.length, 1);
  assert.equal(results[0].device_id, "edge-02");
  assert.equal(results[0].ok, true);
  assert.equal(results[0].ok && results[0].exit_code, 3);
  assert.equal(stderr, "1 of 1 answered; exit code ≠ 0: edge-02 (3)\n");
});

Deno.test("runCli() exec with a glob that matches nothing fails (125) naming it, before running anything", async () => {
  await using f = await fleet();
  const { code, stdout, stderr } = await run([
    ...auth(f.url),
    "exec",
    "gw-*",
    "--host",
    "--",
    "echo",
    "x",
  ]);
  assert.equal(code, ExitCode.Failed);
  assert.equal(stdout, "");
  assert.equal(stderr, 'error: No known device matches "gw-*"\n');
});

Deno.test("runCli() exec 'edge-*' with a short --timeout exits 124 and lists every device as timed out", async () => {
  await using f = await fleet();
  const { code, stderr } = await run([
    ...auth(f.url),
    "--timeout",
    "300ms",
    "exec",
    "edge-*",
    "--host",
    "--",
    "sleep",
  ]);
  assert.equal(code, ExitCode.TimedOut, stderr);
  assert.ok(
    stderr.endsWith("0 of 2 answered; timed out: edge-01, edge-02\n"),
    stderr,
  );
});
