import assert from "node:assert/strict";
import { processesMentioning, tempEntries } from "./_test_support.ts";

Deno.test("up() brings up 2 pinged devices, prints the CLI command, tears down on SIGTERM", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("./up.ts", import.meta.url).pathname],
    cwd: new URL("..", import.meta.url).pathname,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderrText = new Response(child.stderr).text();
  const decoder = new TextDecoder();
  let stdout = "";
  const reader = child.stdout.getReader();
  try {
    while (!stdout.includes("Press Ctrl-C")) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += decoder.decode(value, { stream: true });
    }
    child.kill("SIGTERM");
    for (
      let chunk = await reader.read();
      !chunk.done;
      chunk = await reader.read()
    ) {
      stdout += decoder.decode(chunk.value, { stream: true });
    }
  } finally {
    reader.releaseLock();
  }
  const status = await child.status;
  const stderr = await stderrText;
  assert.equal(status.code, 0, stdout + stderr);

  const namespace = /Stack (e2e-[0-9a-f]{8}) is up/.exec(stdout)?.[1];
  assert.ok(namespace, stdout);
  assert.equal(stdout.match(/"runtime":"disabled"/g)?.length, 2, stdout);
  assert.match(
    stderr,
    new RegExp(
      `\\[e2e\\] ping: deno run -A \\S+mod\\.ts ping vm-device-00-${namespace} vm-device-01-${namespace} -s nats://127\\.0\\.0\\.1:\\d+ --user admin --password [0-9a-f]{32}`,
    ),
  );
  assert.match(stdout, /SIGTERM: tearing down/);
  assert.match(stdout, /Torn down\.\n$/);
  assert.deepEqual(processesMentioning(namespace), []);
  assert.deepEqual(tempEntries(`fleet-${namespace}-`), []);
});
