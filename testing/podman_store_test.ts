import assert from "node:assert/strict";
import {
  ignoreWithoutPodman,
  PodmanServiceError,
  PodmanStore,
  tempDir,
} from "./mod.ts";

Deno.test({
  name: "PodmanStore.open() makes a store the podman CLI uses, and reopens it",
  ignore: ignoreWithoutPodman(),
  fn: async () => {
    await using root = await tempDir("fleet-store-test-");
    const options = { root: `${root.path}/root`, runDir: `${root.path}/run` };
    const store = await PodmanStore.open(options);
    const info = await store.podman([
      "info",
      "--format",
      "{{.Store.GraphRoot}}",
    ]);
    assert.equal(
      new TextDecoder().decode(info.stdout).trim(),
      `${root.path}/root/storage`,
    );
    const again = await PodmanStore.open(options);
    assert.deepEqual(again.podmanArgs, store.podmanArgs);
    await assert.rejects(
      store.podman(["image", "inspect", "localhost/no-such-image:x"]),
      (error) => {
        assert.ok(error instanceof PodmanServiceError);
        assert.match(
          error.message,
          /^Cannot run "podman image inspect localhost\/no-such-image:x" on the e2e podman store: it exited with code 125: /,
        );
        return true;
      },
    );
    await store.podman(["system", "reset", "--force"], { check: false });
  },
});

Deno.test("PodmanStore.open() without podman throws PodmanServiceError saying so", async () => {
  await assert.rejects(
    PodmanStore.open({ podman: "/nonexistent/podman" }),
    (error) => {
      assert.ok(error instanceof PodmanServiceError);
      assert.match(
        error.message,
        /^Cannot open the e2e podman store: podman "\/nonexistent\/podman" cannot be run/,
      );
      return true;
    },
  );
});

Deno.test({
  name: "PodmanStore.withLock() runs one holder at a time",
  ignore: ignoreWithoutPodman(),
  fn: async () => {
    await using root = await tempDir("fleet-store-test-");
    const store = await PodmanStore.open({
      root: `${root.path}/root`,
      runDir: `${root.path}/run`,
    });
    const events: string[] = [];
    const hold = (name: string) =>
      store.withLock("build", async () => {
        events.push(`${name} in`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        events.push(`${name} out`);
      });
    await Promise.all([hold("a"), hold("b")]);
    // Either may go first; the other goes in only after it went out.
    const first = events[0].split(" ")[0];
    const second = first === "a" ? "b" : "a";
    assert.deepEqual(events, [
      `${first} in`,
      `${first} out`,
      `${second} in`,
      `${second} out`,
    ]);
  },
});
