import assert from "node:assert/strict";
import { KubectlPortForward, PortForwardError } from "./_port_forward.ts";
import { writeFakeKubectl } from "./_test_fake_kube.ts";

async function inTempDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("KubectlPortForward.start() reads kubectl's local port; close() stops kubectl and waits for it", async () => {
  await inTempDir(async (dir) => {
    const kubectl = await writeFakeKubectl(dir, { port: 41234 });
    const forward = await KubectlPortForward.start({
      kubectl: kubectl.bin,
      kubeconfig: "/k/config",
      context: "k3d-fleet-e2e",
      namespace: "e2e-00000000",
      target: "svc/nats",
      remotePort: 4222,
    });
    assert.equal(forward.localPort, 41234);
    await forward.close();
    await forward.close();
    assert.deepEqual(await kubectl.log(), [
      "--kubeconfig /k/config --context k3d-fleet-e2e --namespace e2e-00000000 port-forward --address 127.0.0.1 svc/nats :4222",
      "stopped",
    ]);
  });
});

Deno.test("KubectlPortForward.start() fails with kubectl's output when it exits", async () => {
  await inTempDir(async (dir) => {
    const kubectl = await writeFakeKubectl(dir, { fail: true });
    await assert.rejects(
      KubectlPortForward.start({
        kubectl: kubectl.bin,
        namespace: "e2e-00000000",
        target: "svc/nats",
        remotePort: 4222,
      }),
      (error) => {
        assert.ok(error instanceof PortForwardError);
        assert.equal(
          error.message,
          `"${kubectl.bin} --namespace e2e-00000000 port-forward --address 127.0.0.1 svc/nats :4222" exited with code 1; its output:\nerror: services "nats" not found`,
        );
        return true;
      },
    );
  });
});

Deno.test("KubectlPortForward.start() kills a kubectl that says nothing by the deadline", async () => {
  await inTempDir(async (dir) => {
    const bin = `${dir}/kubectl`;
    await Deno.writeTextFile(bin, "#!/bin/sh\nexec sleep 3600\n", {
      mode: 0o755,
    });
    await assert.rejects(
      KubectlPortForward.start({
        kubectl: bin,
        namespace: "e2e-00000000",
        target: "svc/nats",
        remotePort: 4222,
        timeoutMs: 200,
      }),
      (error) =>
        error instanceof PortForwardError &&
        /did not say where it listens within 200 ms/.test(error.message),
    );
  });
});

Deno.test("KubectlPortForward.start() names a kubectl that cannot start", async () => {
  await assert.rejects(
    KubectlPortForward.start({
      kubectl: "/nonexistent/kubectl",
      namespace: "e2e-00000000",
      target: "svc/nats",
      remotePort: 4222,
    }),
    (error) => {
      assert.ok(error instanceof PortForwardError);
      assert.equal(
        error.message,
        'Cannot start "/nonexistent/kubectl port-forward" to svc/nats in "e2e-00000000"',
      );
      return true;
    },
  );
});
