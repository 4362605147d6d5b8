import assert from "node:assert/strict";
import {
  ignoreWithoutPodman,
  PodmanService,
  PodmanServiceError,
} from "./podman_service.ts";
import { buildWorkloadImage } from "./workload_image.ts";
import { mountsUnder } from "./_mounts.ts";
import { processesMentioning } from "./processes.ts";

const ignore = ignoreWithoutPodman();

async function ping(socketPath: string): Promise<string> {
  using client = Deno.createHttpClient({
    proxy: { transport: "unix", path: socketPath },
  });
  const response = await fetch("http://d/v4.0.0/libpod/_ping", { client });
  return await response.text();
}

async function containerNames(socketPath: string): Promise<string[]> {
  using client = Deno.createHttpClient({
    proxy: { transport: "unix", path: socketPath },
  });
  const response = await fetch(
    "http://d/v4.0.0/libpod/containers/json?all=true",
    { client },
  );
  const list = await response.json() as { Names: string[] }[];
  return list.flatMap((container) => container.Names).sort();
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("PodmanService.start() fails clearly when podman is required but missing", async () => {
  await assert.rejects(
    PodmanService.start({ podman: "/nonexistent/podman" }),
    (error) => {
      assert.ok(error instanceof PodmanServiceError);
      assert.equal(error.name, "PodmanServiceError");
      assert.match(
        error.message,
        /^Cannot start a podman API service: podman "\/nonexistent\/podman" cannot be run: /,
      );
      return true;
    },
  );
});

Deno.test({
  name:
    "PodmanService.start() serves the libpod API on its own socket, with storage of its own",
  ignore,
  fn: async () => {
    await using a = await PodmanService.start();
    await using b = await PodmanService.start();
    assert.notEqual(a.socketPath, b.socketPath);
    assert.equal(await ping(a.socketPath), "OK");
    assert.equal(await ping(b.socketPath), "OK");
    assert.ok(a.socketPath.startsWith(a.dir));
    assert.deepEqual(a.podmanArgs.slice(0, 2), ["--root", `${a.dir}/root`]);
    const { image } = await buildWorkloadImage(a);
    await a.runContainer({ name: "only-in-a", image, cmd: ["sleep", "600"] });
    assert.deepEqual(await containerNames(a.socketPath), ["only-in-a"]);
    assert.deepEqual(await containerNames(b.socketPath), []);
    const { stdout } = await a.podman(["ps", "--format", "{{.Names}}"]);
    assert.equal(new TextDecoder().decode(stdout), "only-in-a\n");
  },
});

Deno.test({
  name:
    "PodmanService[Symbol.asyncDispose]() removes its containers and leaves no process, mount or dir",
  ignore,
  fn: async () => {
    const service = await PodmanService.start();
    const { image } = await buildWorkloadImage(service);
    await service.runContainer({
      name: "runner",
      image,
      cmd: ["sleep", "600"],
      labels: { "harmony.fleet/device": "d1" },
    });
    await service.runContainer({ name: "done", image, cmd: ["true"] });
    // An exec through the API leaves a conmon behind for 5 minutes.
    {
      using client = Deno.createHttpClient({
        proxy: { transport: "unix", path: service.socketPath },
      });
      const created = await fetch(
        "http://d/v4.0.0/libpod/containers/runner/exec",
        {
          client,
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ Cmd: ["true"], AttachStdout: true }),
        },
      );
      const { Id } = await created.json() as { Id: string };
      const started = await fetch(`http://d/v4.0.0/libpod/exec/${Id}/start`, {
        client,
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ Detach: false }),
      });
      await started.body?.cancel();
    }
    assert.ok(processesMentioning(service.dir).length >= 2);
    assert.ok(mountsUnder(service.dir).length >= 1);
    await Promise.all([
      service[Symbol.asyncDispose](),
      service[Symbol.asyncDispose](),
    ]);
    await service[Symbol.asyncDispose]();
    assert.deepEqual(processesMentioning(service.dir), []);
    assert.deepEqual(mountsUnder(service.dir), []);
    assert.equal(exists(service.dir), false);
    assert.equal(exists(service.socketPath), false);
  },
});

Deno.test({
  name:
    "PodmanService.podman() runs the CLI on the service's storage and throws on failure",
  ignore,
  fn: async () => {
    await using service = await PodmanService.start();
    const { stdout } = await service.podman([
      "info",
      "--format",
      "{{.Store.GraphRoot}}",
    ]);
    assert.equal(
      new TextDecoder().decode(stdout).trim(),
      `${service.dir}/root`,
    );
    await assert.rejects(
      service.podman(["inspect", "no-such-thing"]),
      (error) => {
        assert.ok(error instanceof PodmanServiceError);
        assert.match(
          error.message,
          /^Cannot run "podman inspect no-such-thing": it exited with code 125: .*no-such-thing/s,
        );
        return true;
      },
    );
    const failed = await service.podman(["inspect", "no-such-thing"], {
      check: false,
    });
    assert.equal(failed.code, 125);
    await assert.rejects(
      service.runContainer({
        name: "no-image",
        image: "localhost/no-such-image:1",
        cmd: ["true"],
        env: { TOKEN: "s3cret" },
      }),
      (error) => {
        assert.ok(error instanceof PodmanServiceError);
        assert.match(error.message, /--env TOKEN=\*\*\* /);
        assert.doesNotMatch(error.message, /s3cret/);
        return true;
      },
    );
  },
});

/** The session id of `pid` (field 6 of /proc/<pid>/stat). */
function sessionOf(pid: number): number {
  const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[3]);
}

Deno.test({
  name:
    "PodmanService.start() with newSession runs the service in a session of its own",
  ignore,
  fn: async () => {
    const service = await PodmanService.start({ newSession: true });
    try {
      assert.equal(await ping(service.socketPath), "OK");
      assert.equal(sessionOf(service.pid), service.pid);
      assert.notEqual(sessionOf(service.pid), sessionOf(Deno.pid));
    } finally {
      await service[Symbol.asyncDispose]();
    }
    assert.deepEqual(processesMentioning(service.dir), []);
    assert.equal(exists(service.dir), false);
  },
});
