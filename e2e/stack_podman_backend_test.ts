import assert from "node:assert/strict";
import { FleetCommandsClient } from "../operator/mod.ts";
import { ignoreWithoutPodman, PodmanStore, waitFor } from "../testing/mod.ts";
import { Stack, StackBackendError, StackBringUpError } from "./stack.ts";

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** Pods, containers and volumes in the e2e store whose name has `namespace`. */
async function leftovers(namespace: string): Promise<string[]> {
  const store = await PodmanStore.open();
  const names = async (args: string[]) =>
    decode((await store.podman(args)).stdout).split("\n").filter((name) =>
      name.includes(namespace)
    );
  return [
    ...await names(["pod", "ps", "--format", "{{.Name}}"]),
    ...await names(["ps", "--all", "--format", "{{.Names}}"]),
    ...await names(["volume", "ls", "--format", "{{.Name}}"]),
  ];
}

Deno.test({
  name:
    'Stack.bringUp({ backend: "podman" }) runs nats-server and the agents in pods from the manifests; dispose leaves no pod, container, volume or dir',
  ignore: ignoreWithoutPodman(),
  fn: async () => {
    let namespace: string;
    let dir: string;
    {
      await using stack = await Stack.bringUp({
        backend: "podman",
        devices: 2,
      });
      namespace = stack.namespace;
      dir = stack.dir;
      assert.equal(stack.backend, "podman");
      assert.match(stack.natsUrl, /^nats:\/\/127\.0\.0\.1:\d+$/);
      const client = new FleetCommandsClient(stack.operatorClient);
      for (const deviceId of stack.deviceIds) {
        const reply = await client.ping(deviceId);
        assert.equal(reply.device_id, deviceId);
        assert.equal(reply.runtime, "disabled");
      }
      const pods = await leftovers(namespace);
      assert.equal(pods.filter((name) => name.endsWith("-pod-0")).length, 3);
      // The manifests on disk hold passwords: the owner's only.
      assert.equal((await Deno.stat(`${dir}/stack.yaml`)).mode! & 0o777, 0o600);
      const text = stack.debugInfo();
      assert.match(text, /\[e2e\] manifests: \S+\/stack\.yaml/);
      assert.match(
        text,
        /\[e2e\] logs agent: fleet-e2e-podman logs -f e2e-[0-9a-f]{8}-agent-/,
      );
      assert.throws(() => stack.agent(stack.deviceIds[0]), (error) => {
        assert.ok(error instanceof StackBackendError);
        assert.equal(error.backend, "podman");
        assert.match(error.message, /use|containers/);
        return true;
      });
      assert.throws(() => stack.natsServer, StackBackendError);
    }
    assert.deepEqual(await leftovers(namespace), []);
    assert.equal(await Deno.stat(dir).then(() => true, () => false), false);
  },
});

Deno.test({
  name:
    'Stack.bringUp({ backend: "podman" }) that fails after kube play (agents never ready) throws StackBringUpError naming the step and leaves nothing',
  ignore: ignoreWithoutPodman(),
  fn: async () => {
    const error = await Stack.bringUp({
      backend: "podman",
      readyTimeoutMs: 1,
    }).then(() => undefined, (e) => e);
    assert.ok(error instanceof StackBringUpError, String(error));
    assert.ok(
      ["wait for nats-server", "wait for the agents to answer ping"].includes(
        error.step,
      ),
      error.message,
    );
    assert.deepEqual(await leftovers(error.namespace), []);
  },
});

Deno.test({
  name:
    'Stack.bringUp({ backend: "podman" }) aborted by its signal mid-way throws StackBringUpError and leaves nothing',
  ignore: ignoreWithoutPodman(),
  fn: async () => {
    const controller = new AbortController();
    const pending = Stack.bringUp({
      backend: "podman",
      signal: controller.signal,
    });
    // Abort once podman has started making the pods.
    const store = await PodmanStore.open();
    await waitFor("a stack's nats pod", async () => {
      const pods = await store.podman(["pod", "ps", "--format", "{{.Name}}"]);
      return /e2e-[0-9a-f]{8}-nats-pod-0/.test(decode(pods.stdout));
    }, { timeoutMs: 60_000, intervalMs: 50 });
    controller.abort(new Error("stop"));
    const error = await pending.then(
      async (stack) => {
        await stack[Symbol.asyncDispose]();
        return undefined;
      },
      (e) => e,
    );
    if (error !== undefined) {
      assert.ok(error instanceof StackBringUpError, String(error));
      assert.deepEqual(await leftovers(error.namespace), []);
    }
  },
});

Deno.test('Stack.bringUp({ backend: "podman" }) without podman fails at "find podman"', async () => {
  await assert.rejects(
    Stack.bringUp({ backend: "podman", podmanBin: "/nonexistent/podman" }),
    (error) => {
      assert.ok(error instanceof StackBringUpError);
      assert.equal(error.step, "find podman");
      assert.match(error.message, /"\/nonexistent\/podman" cannot be run/);
      return true;
    },
  );
});

Deno.test('Stack.bringUp({ backend: "podman" }) refuses tls and runtime "podman" with a RangeError saying why', async () => {
  await assert.rejects(
    Stack.bringUp({ backend: "podman", tls: true }),
    (error) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, /TLS runs on the local backend only so far/);
      return true;
    },
  );
  await assert.rejects(
    Stack.bringUp({ backend: "podman", runtime: "podman" }),
    (error) => {
      assert.ok(error instanceof RangeError);
      assert.match(error.message, /use backend "local" for logs and exec/);
      return true;
    },
  );
});

Deno.test({
  name:
    'Stack.bringUp({ backend: "podman", keep: true }) leaves its pods running and prints a clean-up line that removes them',
  ignore: ignoreWithoutPodman(),
  fn: async () => {
    let text: string;
    let namespace: string;
    {
      await using stack = await Stack.bringUp({
        backend: "podman",
        keep: true,
      });
      namespace = stack.namespace;
      text = stack.debugInfo();
    }
    assert.equal(
      (await leftovers(namespace)).filter((n) => n.endsWith("-pod-0")).length,
      2,
    );
    const cleanUp = /\[e2e\] clean up: (.*)$/m.exec(text)?.[1];
    assert.ok(cleanUp, text);
    const run = await new Deno.Command("bash", {
      args: ["-c", cleanUp],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(run.code, 0, decode(run.stderr));
    assert.deepEqual(await leftovers(namespace), []);
  },
});
