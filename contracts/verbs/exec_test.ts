import assert from "node:assert/strict";
import {
  decodeExecRequest,
  DEFAULT_EXEC_LIMIT_BYTES,
  execVerb,
  MAX_EXEC_CMD_BYTES,
  MAX_EXEC_STDIN_BYTES,
} from "./exec.ts";
import { assertPayloadError, json } from "./_test_assert.ts";
import { decodeBase64, encodeBase64 } from "../base64.ts";

Deno.test("decodeExecRequest() keeps the fields given and drops unknown ones", () => {
  const request = {
    verb: "exec",
    container: "web",
    host: false,
    cmd: ["sh", "-c", "exit 3", ""],
    env: { A: "1", EMPTY: "" },
    workdir: "/tmp",
    stdin: encodeBase64(new Uint8Array([0, 255, 10])),
    limit_bytes: 10,
  };
  assert.deepEqual(decodeExecRequest(json({ ...request, tty: true })), request);
});

Deno.test("decodeExecRequest() takes host: true without a container", () => {
  assert.deepEqual(decodeExecRequest(json({ host: true, cmd: ["id"] })), {
    verb: "exec",
    host: true,
    cmd: ["id"],
  });
});

Deno.test("decodeExecRequest() takes a cmd of exactly the bound", () => {
  // Each element counts its bytes plus one.
  const cmd = ["x".repeat(MAX_EXEC_CMD_BYTES - 1)];
  assert.deepEqual(decodeExecRequest(json({ container: "w", cmd })).cmd, cmd);
});

Deno.test("decodeExecRequest() takes stdin of exactly the bound", () => {
  const stdin = encodeBase64(new Uint8Array(MAX_EXEC_STDIN_BYTES));
  assert.equal(
    decodeExecRequest(json({ container: "w", cmd: ["cat"], stdin })).stdin,
    stdin,
  );
});

const CMD = ["true"];
const BAD: ReadonlyArray<[string, unknown, RegExp]> = [
  [
    "an empty body",
    undefined,
    /"exec" request field "cmd" must be an array of strings, got nothing/,
  ],
  [
    "neither container nor host",
    { cmd: CMD },
    /needs exactly one of field "container" or "host": true; got neither/,
  ],
  [
    "host: false alone",
    { host: false, cmd: CMD },
    /needs exactly one of field "container" or "host": true; got neither/,
  ],
  [
    "both container and host",
    { container: "w", host: true, cmd: CMD },
    /needs exactly one of field "container" or "host": true; got both/,
  ],
  [
    "a numeric container",
    { container: 1, cmd: CMD },
    /field "container" must be a string, got a number/,
  ],
  [
    "an empty container",
    { container: "", cmd: CMD },
    /field "container" must not be empty/,
  ],
  [
    "a string host",
    { host: "yes", cmd: CMD },
    /field "host" must be true or false, got "yes"/,
  ],
  [
    "a missing cmd",
    { container: "w" },
    /field "cmd" must be an array of strings, got nothing/,
  ],
  [
    "a string cmd",
    { container: "w", cmd: "ls -l" },
    /field "cmd" must be an array of strings, got "ls -l"/,
  ],
  ["cmd: []", { container: "w", cmd: [] }, /field "cmd" must not be empty/],
  [
    "a numeric argument",
    { container: "w", cmd: ["echo", 1] },
    /field "cmd\[1\]" must be a string, got a number/,
  ],
  [
    "an empty argv0",
    { container: "w", cmd: ["", "x"] },
    /field "cmd\[0\]" must not be empty/,
  ],
  [
    "a NUL in an argument",
    { container: "w", cmd: ["echo", "a\0b"] },
    /field "cmd\[1\]" must not contain a NUL character/,
  ],
  [
    "a huge cmd",
    { container: "w", cmd: ["x".repeat(MAX_EXEC_CMD_BYTES)] },
    /field "cmd" must total at most 65536 bytes \(UTF-8, plus one per element\), got 65537/,
  ],
  [
    "a cmd of too many elements",
    {
      container: "w",
      cmd: Array(70000).fill("").map((_, i) => (i === 0 ? "x" : "")),
    },
    /field "cmd" must total at most 65536 bytes/,
  ],
  [
    "an array env",
    { container: "w", cmd: CMD, env: ["A=1"] },
    /field "env" must be an object of strings, got an array/,
  ],
  [
    "a numeric env value",
    { container: "w", cmd: CMD, env: { A: 1 } },
    /field "env\.A" must be a string, got a number/,
  ],
  [
    "a null env value",
    { container: "w", cmd: CMD, env: { A: null } },
    /field "env\.A" must be a string, got null/,
  ],
  [
    "an env name with =",
    { container: "w", cmd: CMD, env: { "A=B": "1" } },
    /field "env" has an invalid name "A=B": it must not be empty or contain "=" or NUL/,
  ],
  [
    "an empty env name",
    { container: "w", cmd: CMD, env: { "": "1" } },
    /field "env" has an invalid name "": it must not be empty/,
  ],
  [
    "a NUL in an env value",
    { container: "w", cmd: CMD, env: { A: "\0" } },
    /field "env\.A" must not contain a NUL character/,
  ],
  [
    "a huge env",
    { container: "w", cmd: CMD, env: { A: "x".repeat(65536) } },
    /field "env" must total at most 65536 bytes/,
  ],
  [
    "a relative workdir",
    { container: "w", cmd: CMD, workdir: "tmp" },
    /field "workdir" must be an absolute path, got "tmp"/,
  ],
  [
    "a numeric workdir",
    { container: "w", cmd: CMD, workdir: 1 },
    /field "workdir" must be a string, got a number/,
  ],
  [
    "stdin not base64",
    { container: "w", cmd: CMD, stdin: "not base64!" },
    /field "stdin" must be base64 \(RFC 4648, with padding\)/,
  ],
  [
    "stdin without padding",
    { container: "w", cmd: CMD, stdin: "YQ" },
    /field "stdin" must be base64/,
  ],
  [
    "stdin with whitespace",
    { container: "w", cmd: CMD, stdin: "YQ==\n" },
    /field "stdin" must be base64/,
  ],
  [
    "stdin base64url",
    { container: "w", cmd: CMD, stdin: "-_8=" },
    /field "stdin" must be base64/,
  ],
  [
    "a numeric stdin",
    { container: "w", cmd: CMD, stdin: 5 },
    /field "stdin" must be a string, got a number/,
  ],
  [
    "stdin over the bound",
    {
      container: "w",
      cmd: CMD,
      stdin: encodeBase64(new Uint8Array(MAX_EXEC_STDIN_BYTES + 1)),
    },
    /field "stdin" must decode to at most 524288 bytes, got 524289/,
  ],
  [
    "limit_bytes 0",
    { container: "w", cmd: CMD, limit_bytes: 0 },
    /field "limit_bytes" must be a positive integer, got 0/,
  ],
  [
    "a verb mismatch",
    { verb: "logs", container: "w", cmd: CMD },
    /field "verb" must match the subject's verb "exec", got "logs"/,
  ],
];
for (const [what, body, message] of BAD) {
  Deno.test(`decodeExecRequest() rejects ${what}, naming the field`, () => {
    assertPayloadError(
      () =>
        decodeExecRequest(body === undefined ? new Uint8Array() : json(body)),
      message,
    );
  });
}

Deno.test("execVerb streams and never follows; its limit defaults to 16 MiB", () => {
  assert.equal(execVerb.name, "exec");
  assert.ok(execVerb.stream);
  const stream = execVerb.stream!;
  const request = { verb: "exec", host: true, cmd: ["x"] } as const;
  assert.equal(stream.follows({ ...request, cmd: ["x"] }), false);
  assert.equal(stream.lines, false);
  assert.equal(stream.limitBytes({ ...request, cmd: ["x"] }), 16777216);
  assert.equal(
    stream.limitBytes({ ...request, cmd: ["x"], limit_bytes: 5 }),
    5,
  );
  assert.equal(DEFAULT_EXEC_LIMIT_BYTES, 16 * 1024 * 1024);
});

Deno.test("decodeBase64() inverts encodeBase64() on binary data", () => {
  const bytes = new Uint8Array(256).map((_, i) => i);
  assert.deepEqual(decodeBase64(encodeBase64(bytes)), bytes);
  assert.equal(decodeBase64("bad!"), undefined);
});
