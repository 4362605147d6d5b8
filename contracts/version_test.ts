import assert from "node:assert/strict";
import { PACKAGE_VERSION } from "./version.ts";

Deno.test("PACKAGE_VERSION equals the version in deno.json", async () => {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("../deno.json", import.meta.url)),
  );
  assert.equal(PACKAGE_VERSION, config.version);
});
