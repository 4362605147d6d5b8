import assert from "node:assert/strict";
import { execCreateBody } from "./exec_options.ts";

Deno.test("execCreateBody() builds the exec create body", () => {
  assert.deepEqual(
    execCreateBody({
      cmd: ["sh", "-c", "echo $A"],
      env: { A: "1", EMPTY: "", WITH_EQUALS: "a=b" },
      workdir: "/tmp",
      stdin: new Uint8Array(),
    }),
    {
      Cmd: ["sh", "-c", "echo $A"],
      Env: ["A=1", "EMPTY=", "WITH_EQUALS=a=b"],
      WorkingDir: "/tmp",
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: false,
    },
  );
  const plain = execCreateBody({ cmd: ["true"] });
  assert.equal(plain.AttachStdin, false);
  assert.equal("WorkingDir" in plain, false);
  assert.deepEqual(plain.Env, []);
});

Deno.test("execCreateBody() rejects bad commands, env and workdir, never quoting env values", () => {
  const secret = "s3cret-value";
  for (
    const [options, error, message] of [
      [
        { cmd: [] },
        TypeError,
        /^Invalid exec option cmd: expected a non-empty array of strings$/,
      ],
      [{ cmd: "ls" }, TypeError, /non-empty array/],
      [
        { cmd: [""] },
        TypeError,
        /^Invalid exec option cmd\[0\]: the program is empty$/,
      ],
      [
        { cmd: ["echo", 1] },
        TypeError,
        /^Invalid exec option cmd\[1\]: expected a string without NUL bytes$/,
      ],
      [{ cmd: ["echo", "a\0b"] }, TypeError, /cmd\[1\]/],
      [
        { cmd: Array(4097).fill("x") },
        RangeError,
        /4097 arguments, at most 4096/,
      ],
      [
        { cmd: ["true"], env: { "": "x" } },
        TypeError,
        /name "" is empty or has "=" or NUL/,
      ],
      [{ cmd: ["true"], env: { "A=B": "x" } }, TypeError, /name "A=B"/],
      [
        { cmd: ["true"], env: { TOKEN: `${secret}\0` } },
        TypeError,
        /^Invalid exec option env: the value of TOKEN is not a string without NUL bytes$/,
      ],
      [
        { cmd: ["true"], workdir: "" },
        TypeError,
        /workdir: expected a non-empty path/,
      ],
    ] as const
  ) {
    assert.throws(
      // deno-lint-ignore no-explicit-any
      () => execCreateBody(options as any),
      (e: unknown) => {
        assert.ok(e instanceof error, String(e));
        assert.match((e as Error).message, message);
        assert.doesNotMatch((e as Error).message, new RegExp(secret));
        return true;
      },
    );
  }
});
