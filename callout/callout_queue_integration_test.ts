// Several callouts share the load in their queue group, and one of them
// down leaves the others serving.
import assert from "node:assert/strict";
import { CalloutProcess, tempDir } from "../testing/mod.ts";
import { startCalloutStack } from "./_test_callout_stack.ts";

Deno.test("CalloutService instances share the logins in a queue group, and one down leaves the other serving", async () => {
  await using stack = await startCalloutStack();
  await using dir = await tempDir();
  await using second = await CalloutProcess.start({
    dir: dir.path,
    servers: stack.server.url,
    keys: stack.keys,
    issuer: stack.issuer,
  });
  for (let i = 0; i < 30; i++) {
    const nc = await stack.connect(
      await stack.issuer.mint({ subject: `device-q${i}` }),
    );
    await nc.close();
  }
  const count = async (callout: CalloutProcess) =>
    (await callout.events()).filter((e) => e.event === "auth_allowed").length;
  const [first, other] = [await count(stack.callout), await count(second)];
  assert.equal(first + other, 30);
  assert.ok(first > 0 && other > 0, `split ${first}/${other}`);
  await stack.callout.kill();
  for (let i = 0; i < 5; i++) {
    const nc = await stack.connect(
      await stack.issuer.mint({ subject: `device-r${i}` }),
    );
    await nc.close();
  }
  assert.equal(await count(second), other + 5);
});
