import assert from "node:assert/strict";
import { base32Decode } from "./_base32.ts";

Deno.test("base32Decode() reads RFC 4648 base32 without padding", () => {
  assert.deepEqual(
    base32Decode("MZXW6YTBOI", "test key"),
    new TextEncoder().encode("foobar"),
  );
});

Deno.test("base32Decode() names the key it cannot read", () => {
  assert.throws(
    () => base32Decode("mzxw", "curve key"),
    (error: unknown) =>
      error instanceof TypeError &&
      error.message === "Invalid curve key encoding",
  );
});
