import assert from "node:assert/strict";
import { encodeOutput, execResultJson } from "./exec_json.ts";

Deno.test("encodeOutput() gives valid UTF-8 as text and anything else as base64", () => {
  const text = new TextEncoder().encode("héllo\n");
  assert.deepEqual(encodeOutput(text), { text: "héllo\n", encoding: "utf-8" });
  assert.deepEqual(encodeOutput(new Uint8Array()), {
    text: "",
    encoding: "utf-8",
  });
  assert.deepEqual(encodeOutput(new Uint8Array([0xc3])), {
    text: "ww==",
    encoding: "base64",
  });
  assert.deepEqual(encodeOutput(new Uint8Array([0xef, 0xbb, 0xbf, 0x41])), {
    text: "\ufeffA",
    encoding: "utf-8",
  });
});

Deno.test("execResultJson() keeps the exit code, says truncated, and null for a missing exit code", () => {
  const empty = new Uint8Array();
  assert.deepEqual(
    execResultJson({
      exitCode: undefined,
      stdout: new Uint8Array([0xff]),
      stderr: empty,
      truncated: true,
    }),
    {
      exit_code: null,
      stdout: "/w==",
      stdout_encoding: "base64",
      stderr: "",
      stderr_encoding: "utf-8",
      truncated: true,
    },
  );
  assert.equal(
    execResultJson({
      exitCode: 0,
      stdout: empty,
      stderr: empty,
      truncated: false,
    }).exit_code,
    0,
  );
});
