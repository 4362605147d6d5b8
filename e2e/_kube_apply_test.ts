import assert from "node:assert/strict";
import {
  imageRecordKey,
  importedImages,
  labelSelector,
  recordImportedImages,
} from "./_kube_apply.ts";
import { KubeClient } from "./_kube_client.ts";
import { FakeKubeApi } from "./_test_fake_kube.ts";

Deno.test("imageRecordKey() makes a ConfigMap key of an image reference", () => {
  assert.equal(
    imageRecordKey("localhost/harmony-fleet-agent:e2e-0123456789abcdef"),
    "localhost_harmony-fleet-agent_e2e-0123456789abcdef",
  );
});

Deno.test("labelSelector() joins labels as k=v,…", () => {
  assert.equal(labelSelector({ a: "1", "b/c": "2" }), "a=1,b/c=2");
});

Deno.test("importedImages() is empty without the record; recordImportedImages() adds to it by server-side apply", async () => {
  await using api = FakeKubeApi.start();
  const dir = await Deno.makeTempDir();
  try {
    using client = KubeClient.load({
      kubeconfig: await api.writeKubeconfig(dir),
    });
    assert.deepEqual(await importedImages(client), new Set());
    await recordImportedImages(client, ["localhost/a:e2e-1"]);
    await recordImportedImages(client, ["localhost/b:e2e-2"]);
    assert.deepEqual(
      await importedImages(client),
      new Set(["localhost/a:e2e-1", "localhost/b:e2e-2"]),
    );
    const patch = api.writes[0];
    assert.equal(
      patch.path,
      "/api/v1/namespaces/kube-system/configmaps/harmony-fleet-e2e-images",
    );
    assert.equal(patch.contentType, "application/apply-patch+yaml");
    assert.deepEqual(patch.body?.data, {
      "localhost_a_e2e-1": "localhost/a:e2e-1",
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
