import assert from "node:assert/strict";
import { PodmanClient } from "./client.ts";
import {
  PodmanApiError,
  PodmanNotFoundError,
  PodmanUnavailableError,
} from "./errors.ts";
import { ignore, startPodman } from "./_test_podman.ts";

Deno.test("PodmanClient.ping() on a missing socket throws PodmanUnavailableError naming it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "fleet-podman-client-test-" });
  try {
    const socket = `${dir}/podman.sock`;
    await using client = new PodmanClient(socket);
    await assert.rejects(client.ping(), (error) => {
      assert.ok(error instanceof PodmanUnavailableError);
      assert.equal(error.name, "PodmanUnavailableError");
      assert.equal(error.socket, socket);
      assert.equal(error.endpoint, "GET /v4.0.0/libpod/_ping");
      assert.match(
        error.message,
        new RegExp(
          `^Cannot ping podman: .+ \\(GET /v4\\.0\\.0/libpod/_ping on "${socket}"\\)$`,
        ),
      );
      assert.ok(error.cause instanceof Error);
      return true;
    });
    // A socket file nobody listens on: refused.
    const listener = Deno.listen({ transport: "unix", path: socket });
    listener.close();
    await assert.rejects(
      client.inspectContainer("web"),
      PodmanUnavailableError,
    );
    await assert.rejects(client.exec("web", { cmd: ["true"] }), (error) => {
      assert.ok(error instanceof PodmanUnavailableError);
      assert.match(error.message, /^Cannot exec in container "web": /);
      return true;
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("PodmanClient rejects bad arguments with TypeError or RangeError before any request", async () => {
  assert.throws(() => new PodmanClient(""), TypeError);
  await using client = new PodmanClient("/nonexistent/podman.sock");
  await assert.rejects(client.inspectContainer(""), TypeError);
  assert.throws(() => client.logs("web", { tail: -1 }), RangeError);
  assert.throws(() => client.logs("", {}), TypeError);
  await assert.rejects(client.exec("web", { cmd: [] }), TypeError);
  await assert.rejects(client.exec("web", { cmd: ["a\0b"] }), TypeError);
});

Deno.test({
  name: "PodmanClient against a real podman service: ping, version, inspect",
  ignore,
  fn: async (t) => {
    await using podman = await startPodman();
    const { service, image, client } = podman;
    const id = await service.runContainer({
      name: "web",
      image,
      cmd: ["sleep", "3600"],
      labels: { "harmony.fleet/device": "d1", app: "web" },
    });

    await t.step("ping() and version() report the libpod API", async () => {
      const { stdout } = await service.podman([
        "version",
        "--format",
        "{{.Server.Version}}",
      ]);
      const version = new TextDecoder().decode(stdout).trim();
      assert.deepEqual(await client.ping(), { apiVersion: version });
      const info = await client.version();
      assert.equal(info.version, version);
      assert.equal(info.apiVersion, version);
      assert.equal(info.os, "linux");
      assert.match(info.minApiVersion, /^\d+\.\d+\.\d+$/);
    });

    await t.step(
      "inspectContainer() finds a container by name and by id",
      async () => {
        const byName = await client.inspectContainer("web");
        assert.equal(byName.id, id);
        assert.equal(byName.name, "web");
        assert.equal(byName.image, image);
        // The image's own label (io.buildah.version) comes along.
        assert.equal(byName.labels["harmony.fleet/device"], "d1");
        assert.equal(byName.labels.app, "web");
        assert.equal(byName.tty, false);
        assert.equal(byName.state.status, "running");
        assert.equal(byName.state.running, true);
        assert.ok(byName.state.pid > 0);
        assert.match(byName.state.startedAt ?? "", /^\d{4}-/);
        assert.equal(byName.state.finishedAt, undefined);
        assert.deepEqual(await client.inspectContainer(id), byName);
        assert.deepEqual(
          await client.inspectContainer(id.slice(0, 12)),
          byName,
        );
      },
    );

    await t.step(
      "inspectContainer() with a label finds only a container that carries it",
      async () => {
        assert.equal(
          (await client.inspectContainer("web", {
            label: "harmony.fleet/device=d1",
          })).id,
          id,
        );
        assert.equal(
          (await client.inspectContainer("web", { label: "app" })).id,
          id,
        );
        for (
          const label of [
            "harmony.fleet/device=d2",
            "harmony.fleet/device=",
            "other",
          ]
        ) {
          await assert.rejects(
            client.inspectContainer("web", { label }),
            (error) => {
              assert.ok(error instanceof PodmanNotFoundError);
              assert.equal(error.status, 404);
              assert.equal(
                error.message,
                `Cannot inspect container "web": no container with name or ID "web" and label ${
                  JSON.stringify(label)
                } found (HTTP 404) (GET /v4.0.0/libpod/containers/web/json on ${
                  JSON.stringify(service.socketPath)
                })`,
              );
              return true;
            },
          );
        }
      },
    );

    await t.step(
      "inspectContainer() of a missing container throws PodmanNotFoundError",
      async () => {
        await assert.rejects(client.inspectContainer("ghost"), (error) => {
          assert.ok(error instanceof PodmanNotFoundError);
          assert.ok(error instanceof PodmanApiError);
          assert.equal(error.status, 404);
          assert.equal(
            error.reason,
            'no container with name or ID "ghost" found: no such container',
          );
          assert.equal(
            error.endpoint,
            "GET /v4.0.0/libpod/containers/ghost/json",
          );
          return true;
        });
        await assert.rejects(
          client.inspectContainer("../../_ping"),
          PodmanNotFoundError,
        );
      },
    );

    await t.step(
      "logs() with a time podman cannot read throws PodmanApiError 400",
      async () => {
        await assert.rejects(
          (async () => {
            for await (const _ of client.logs("web", { since: "not a time" })) {
              // nothing
            }
          })(),
          (error) => {
            assert.ok(error instanceof PodmanApiError);
            assert.equal(error.status, 400);
            assert.match(error.reason, /since/);
            return true;
          },
        );
      },
    );
  },
});
