import assert from "node:assert/strict";
import { join } from "node:path";
import { ignoreWithoutPodman, PodmanService } from "../testing/mod.ts";
import {
  detectRuntime,
  podmanSocketCandidates,
  probePodmanSocket,
  RuntimeUnavailableError,
} from "./runtime_probe.ts";

function envOf(vars: Record<string, string>) {
  return (name: string): string | undefined => vars[name];
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "agent-probe-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * A stand-in for a broken podman API service: a unix-socket HTTP server
 * that answers `GET /_ping` with `status` (a real podman answers 200).
 */
function fakePodmanService(path: string, status: number): Deno.HttpServer {
  return Deno.serve(
    { path, transport: "unix", onListen: () => {} },
    (request) =>
      new URL(request.url).pathname === "/_ping"
        ? new Response("OK", { status })
        : new Response("not found", { status: 404 }),
  );
}

async function probeError(
  env: Record<string, string>,
  socket?: string,
): Promise<RuntimeUnavailableError> {
  const error = await probePodmanSocket({ env: envOf(env), socket }).then(
    () => assert.fail("expected RuntimeUnavailableError"),
    (error) => error,
  );
  assert.ok(error instanceof RuntimeUnavailableError, String(error));
  assert.equal(error.name, "RuntimeUnavailableError");
  assert.match(error.message, /runtime_enabled = false/);
  assert.match(error.message, /podman system service/);
  return error;
}

Deno.test("podmanSocketCandidates() prefers CONTAINER_HOST, else the standard paths", () => {
  assert.deepEqual(
    podmanSocketCandidates({
      env: envOf({ CONTAINER_HOST: "unix:///x.sock", XDG_RUNTIME_DIR: "/r" }),
    }).map((c) => c.path),
    ["unix:///x.sock"],
  );
  assert.deepEqual(
    podmanSocketCandidates({
      env: envOf({ XDG_RUNTIME_DIR: "/run/user/1000/" }),
    })
      .map((c) => c.path),
    ["/run/user/1000/podman/podman.sock", "/run/podman/podman.sock"],
  );
  assert.deepEqual(
    podmanSocketCandidates({ env: envOf({}) }).map((c) => c.path),
    ["/run/podman/podman.sock"],
  );
});

Deno.test("probePodmanSocket() refuses a CONTAINER_HOST path that does not exist", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "missing.sock");
    const error = await probeError({ CONTAINER_HOST: `unix://${path}` });
    assert.deepEqual(error.attempts, [
      { path, source: "CONTAINER_HOST", problem: "does not exist" },
    ]);
    assert.match(
      error.message,
      new RegExp(`${path} \\(CONTAINER_HOST\\): does not exist`),
    );
  });
});

Deno.test("probePodmanSocket() refuses a CONTAINER_HOST that is a plain file", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "plain.sock");
    await Deno.writeTextFile(path, "not a socket");
    const error = await probeError({ CONTAINER_HOST: `unix://${path}` });
    assert.equal(
      error.attempts[0].problem,
      "is not a socket (it is a regular file)",
    );
  });
});

Deno.test("probePodmanSocket() refuses a CONTAINER_HOST that is not unix://", async () => {
  const error = await probeError({ CONTAINER_HOST: "tcp://127.0.0.1:8080" });
  assert.match(error.attempts[0].problem, /only unix:\/\/ URLs are supported/);
});

Deno.test("probePodmanSocket() names every standard path tried", async () => {
  await withTempDir(async (dir) => {
    const error = await probeError({ XDG_RUNTIME_DIR: dir });
    assert.equal(error.attempts[0].path, join(dir, "podman", "podman.sock"));
    assert.equal(error.attempts[0].problem, "does not exist");
    assert.equal(error.attempts.length, 2);
    assert.equal(error.attempts[1].path, "/run/podman/podman.sock");
    assert.ok(error.message.includes(error.attempts[0].path));
    assert.ok(error.message.includes("/run/podman/podman.sock"));
  });
});

Deno.test("probePodmanSocket() refuses a socket that answers /_ping with an error (stand-in server)", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "podman.sock");
    await using _server = fakePodmanService(path, 500);
    const error = await probeError({ CONTAINER_HOST: `unix://${path}` });
    assert.equal(
      error.attempts[0].problem,
      "answered GET /_ping with HTTP 500",
    );
  });
});

Deno.test({
  name:
    "probePodmanSocket() returns the socket of a real podman service, from CONTAINER_HOST or [runtime] socket",
  ignore: ignoreWithoutPodman(),
  fn: async () => {
    await using service = await PodmanService.start();
    const path = service.socketPath;
    assert.equal(
      await probePodmanSocket({
        env: envOf({ CONTAINER_HOST: `unix://${path}` }),
      }),
      path,
    );
    assert.equal(
      await probePodmanSocket({
        env: envOf({ CONTAINER_HOST: "unix:///nonexistent.sock" }),
        socket: path,
      }),
      path,
    );
    assert.equal(
      await detectRuntime(true, { env: envOf({}), socket: path }),
      "podman",
    );
  },
});

Deno.test("podmanSocketCandidates() tries only the configured socket when there is one", () => {
  assert.deepEqual(
    podmanSocketCandidates({
      env: envOf({ CONTAINER_HOST: "unix:///x.sock", XDG_RUNTIME_DIR: "/r" }),
      socket: "/srv/podman.sock",
    }),
    [{ path: "/srv/podman.sock", source: "[runtime] socket" }],
  );
});

Deno.test("probePodmanSocket() refuses a configured socket that does not exist, naming [runtime] socket and nothing else", async () => {
  await withTempDir(async (dir) => {
    const path = join(dir, "missing.sock");
    const error = await probeError(
      { CONTAINER_HOST: `unix://${join(dir, "other.sock")}` },
      path,
    );
    assert.deepEqual(error.attempts, [
      { path, source: "[runtime] socket", problem: "does not exist" },
    ]);
    assert.ok(
      error.message.includes(`${path} ([runtime] socket): does not exist`),
    );
  });
});

Deno.test("detectRuntime() reports disabled without touching podman", async () => {
  const env = () => assert.fail("the environment must not be read");
  assert.equal(await detectRuntime(false, { env }), "disabled");
});
