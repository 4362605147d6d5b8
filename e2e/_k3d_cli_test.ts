import assert from "node:assert/strict";
import { K3dCli, k3dContext, K3dError } from "./_k3d_cli.ts";
import { writeFakeK3d } from "./_test_fake_kube.ts";

Deno.test("K3dCli.ensureCluster() creates a missing cluster once, then finds it", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const fake = await writeFakeK3d(dir);
    const k3d = new K3dCli(fake.bin);
    assert.equal(await k3d.ensureCluster("fleet-e2e"), true);
    assert.equal(await k3d.ensureCluster("fleet-e2e"), false);
    await k3d.importImages("fleet-e2e", ["/tmp/a.tar"]);
    assert.deepEqual(await fake.log(), [
      "cluster list -o json",
      "cluster create fleet-e2e --wait --timeout 180s --kubeconfig-update-default --kubeconfig-switch-context=false",
      "cluster list -o json",
      "image import --cluster fleet-e2e /tmp/a.tar",
    ]);
    assert.equal(k3dContext("fleet-e2e"), "k3d-fleet-e2e");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("K3dCli.run() says k3d is not installed, and quotes a failure's stderr", async () => {
  await assert.rejects(
    new K3dCli("/nonexistent/k3d").clusters(),
    (error) => {
      assert.ok(error instanceof K3dError);
      assert.deepEqual(error.args, ["cluster", "list", "-o", "json"]);
      assert.equal(
        error.message,
        'Cannot run "/nonexistent/k3d cluster list -o json": k3d is not installed (https://k3d.io)',
      );
      return true;
    },
  );
  const dir = await Deno.makeTempDir();
  try {
    const bin = `${dir}/k3d`;
    await Deno.writeTextFile(
      bin,
      "#!/bin/sh\necho 'FATA[0000] docker is not running' >&2\nexit 1\n",
      { mode: 0o755 },
    );
    await assert.rejects(
      new K3dCli(bin).ensureCluster("fleet-e2e"),
      (error) => {
        assert.ok(error instanceof K3dError);
        assert.equal(
          error.message,
          `"${bin} cluster list -o json" exited with code 1: FATA[0000] docker is not running`,
        );
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
