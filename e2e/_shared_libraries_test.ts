import assert from "node:assert/strict";
import {
  parseLddOutput,
  sharedLibraries,
  SharedLibrariesError,
} from "./_shared_libraries.ts";
import { exists } from "../testing/mod.ts";

const LDD_DENO = [
  "\tlinux-vdso.so.1 (0x00007ffd1b5f2000)",
  "\tlibdl.so.2 => /lib/x86_64-linux-gnu/libdl.so.2 (0x00007f3cc9ff0000)",
  "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f3cc3f1e000)",
  "\t/lib64/ld-linux-x86-64.so.2 (0x00007f3cca008000)",
  "",
].join("\n");

Deno.test("parseLddOutput() lists the libraries and the loader, not the vDSO", () => {
  assert.deepEqual(parseLddOutput("deno", LDD_DENO), [
    "/lib/x86_64-linux-gnu/libdl.so.2",
    "/lib/x86_64-linux-gnu/libc.so.6",
    "/lib64/ld-linux-x86-64.so.2",
  ]);
});

Deno.test("parseLddOutput() throws naming a library that is not found", () => {
  assert.throws(
    () => parseLddOutput("/x/bin", "\tlibfoo.so.1 => not found\n"),
    (error: unknown) => {
      assert.ok(error instanceof SharedLibrariesError);
      assert.equal(error.binary, "/x/bin");
      assert.match(error.message, /"\/x\/bin".*"libfoo\.so\.1" is not found/);
      return true;
    },
  );
});

Deno.test("sharedLibraries() of this deno holds libc and an absolute loader", async () => {
  const paths = await sharedLibraries(Deno.execPath());
  assert.ok(paths.some((path) => /\/libc\.so\.6$/.test(path)), `${paths}`);
  assert.ok(paths.some((path) => /\/ld-linux[^/]*\.so\.\d+$/.test(path)));
  for (const path of paths) assert.ok(exists(path), path);
});

Deno.test({
  name: "sharedLibraries() of a static binary is empty",
  ignore: !exists("/bin/busybox"),
  fn: async () => {
    assert.deepEqual(await sharedLibraries("/bin/busybox"), []);
  },
});

Deno.test("sharedLibraries() of a missing file throws a SharedLibrariesError", async () => {
  await assert.rejects(
    sharedLibraries("/nonexistent/fleet-binary"),
    (error: unknown) => {
      assert.ok(error instanceof SharedLibrariesError);
      assert.equal(error.binary, "/nonexistent/fleet-binary");
      assert.match(error.message, /No such file/);
      return true;
    },
  );
});
