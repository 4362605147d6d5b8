import assert from "node:assert/strict";
import { KubeClient, KubeConfigError } from "./_kube_client.ts";
import { FakeKubeApi } from "./_test_fake_kube.ts";

async function withKubeconfig(
  config: unknown,
  fn: (path: string) => void | Promise<void>,
) {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/kubeconfig`;
    await Deno.writeTextFile(path, JSON.stringify(config));
    await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function kubeconfig(server: string, skip: boolean) {
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{
      name: "c",
      cluster: { server, "insecure-skip-tls-verify": skip },
    }],
    users: [{ name: "u", user: { token: "t" } }],
    contexts: [{ name: "only", context: { cluster: "c", user: "u" } }],
    "current-context": "only",
  };
}

Deno.test("KubeClient.load() names a missing context and the contexts there are", async () => {
  await withKubeconfig(kubeconfig("https://127.0.0.1:6443", false), (path) => {
    assert.throws(
      () => KubeClient.load({ kubeconfig: path, context: "k3d-fleet-e2e" }),
      (error) => {
        assert.ok(error instanceof KubeConfigError);
        assert.equal(
          error.message,
          `Cannot use context "k3d-fleet-e2e" of kubeconfig "${path}": no such context; it has "only"`,
        );
        return true;
      },
    );
  });
});

Deno.test("KubeClient.load() refuses plain http without insecure-skip-tls-verify, and skipping verification over https", async () => {
  await withKubeconfig(kubeconfig("http://127.0.0.1:8080", false), (path) => {
    assert.throws(
      () => KubeClient.load({ kubeconfig: path }),
      (error) =>
        error instanceof KubeConfigError &&
        /plain http \("http:\/\/127\.0\.0\.1:8080"\) needs insecure-skip-tls-verify: true$/
          .test(error.message),
    );
  });
  await withKubeconfig(kubeconfig("https://127.0.0.1:6443", true), (path) => {
    assert.throws(
      () => KubeClient.load({ kubeconfig: path }),
      (error) =>
        error instanceof KubeConfigError &&
        /insecure-skip-tls-verify over https is not supported/.test(
          error.message,
        ),
    );
  });
});

Deno.test("KubeClient.load() names a kubeconfig it cannot read", () => {
  assert.throws(
    () => KubeClient.load({ kubeconfig: "/nonexistent/kubeconfig" }),
    (error) => {
      assert.ok(error instanceof KubeConfigError);
      assert.equal(
        error.message,
        'Cannot load kubeconfig "/nonexistent/kubeconfig"',
      );
      return true;
    },
  );
});

Deno.test("KubeClient sends the kubeconfig's token and leaves no connection open once disposed", async () => {
  await using api = FakeKubeApi.start();
  const dir = await Deno.makeTempDir();
  try {
    const path = await api.writeKubeconfig(dir);
    using client = KubeClient.load({
      kubeconfig: path,
      context: "k3d-fleet-e2e",
    });
    assert.equal(client.context, "k3d-fleet-e2e");
    assert.equal(client.server, api.url);
    await client.core.deleteNamespace({ name: "e2e-00000000" });
    assert.deepEqual(
      api.requests.map((r) => `${r.method} ${r.path}`),
      ["DELETE /api/v1/namespaces/e2e-00000000"],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
