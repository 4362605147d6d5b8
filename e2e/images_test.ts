// The local agent and nats-server images, built and run with a real podman
// (one service and one build of each shared by the steps: the builds take
// seconds). Ignored with a one-line reason without podman, unless
// FLEET_REQUIRE_PODMAN=1.
import assert from "node:assert/strict";
import { connect } from "../nats/mod.ts";
import { FleetCommandsClient } from "../operator/mod.ts";
import {
  ignoreWithoutPodman,
  NatsServerProcess,
  pickFreePort,
  PodmanService,
  renderAgentConfig,
  renderNatsServerConfig,
  tempDir,
  TEST_ADMIN,
  waitFor,
} from "../testing/mod.ts";
import {
  AGENT_IMAGE_CONFIG_PATH,
  AGENT_IMAGE_REPOSITORY,
  AGENT_PERMISSION_FLAGS,
  agentImageEntrypoint,
  buildAgentImage,
  buildNatsImage,
  IMAGE_USER,
  ImageBuildError,
  type LocalImage,
  NATS_IMAGE_CONFIG_PATH,
  NATS_IMAGE_REPOSITORY,
} from "./images.ts";
import { provideWorkloadImage } from "./_workload_cache.ts";

const ignore = ignoreWithoutPodman();
const DEVICE = "image-dev-1";
const CREDENTIALS = { user: `device-${DEVICE}`, password: "image-dev-pw" };
const decoder = new TextDecoder();

/** Prints one figure line for the report (sizes and build times). */
function figure(name: string, image: LocalImage): void {
  console.log(
    `[figure] ${name}: ${image.reference} built=${image.built} ${
      (image.sizeBytes / 1e6).toFixed(1)
    } MB ${Math.round(image.ms)} ms`,
  );
}

Deno.test({
  name: "buildAgentImage() and buildNatsImage() build images that run",
  ignore,
  fn: async (t) => {
    await using podman = await PodmanService.start();
    await using dir = await tempDir("fleet-images-test-");
    const agent = await buildAgentImage(podman, { force: false });
    const nats = await buildNatsImage(podman, { force: false });
    figure("agent image cold", agent);
    figure("nats image cold", nats);

    await t.step("buildAgentImage() builds a content-tagged image", () => {
      assert.equal(agent.built, true);
      assert.match(
        agent.reference,
        new RegExp(`^${AGENT_IMAGE_REPOSITORY}:e2e-[0-9a-f]{16}$`),
      );
      assert.ok(agent.sizeBytes > 10_000_000, `${agent.sizeBytes}`);
    });

    await t.step("buildNatsImage() builds a content-tagged image", () => {
      assert.equal(nats.built, true);
      assert.match(
        nats.reference,
        new RegExp(`^${NATS_IMAGE_REPOSITORY}:e2e-[0-9a-f]{16}$`),
      );
      assert.ok(nats.sizeBytes > 1_000_000, `${nats.sizeBytes}`);
    });

    await t.step("a second call finds the tag and builds nothing", async () => {
      const agentAgain = await buildAgentImage(podman, { force: false });
      const natsAgain = await buildNatsImage(podman, { force: false });
      figure("agent image warm", agentAgain);
      figure("nats image warm", natsAgain);
      assert.deepEqual(
        [agentAgain.reference, agentAgain.built, agentAgain.sizeBytes],
        [agent.reference, false, agent.sizeBytes],
      );
      assert.deepEqual(
        [natsAgain.reference, natsAgain.built],
        [nats.reference, false],
      );
    });

    await t.step("force rebuilds under the same tag", async () => {
      const rebuilt = await buildNatsImage(podman, { force: true });
      assert.deepEqual([rebuilt.reference, rebuilt.built], [
        nats.reference,
        true,
      ]);
    });

    await t.step("the images run as the non-root user", async () => {
      for (const image of [agent, nats]) {
        const { stdout } = await podman.podman([
          "image",
          "inspect",
          "--format",
          "{{.Config.User}}",
          image.reference,
        ]);
        assert.equal(decoder.decode(stdout).trim(), IMAGE_USER);
      }
    });

    await t.step(
      "the nats-server image serves its mounted config",
      async () => {
        const port = pickFreePort();
        const config = `${dir.path}/nats-server.conf`;
        await Deno.writeTextFile(
          config,
          renderNatsServerConfig({
            port,
            storeDir: "/data",
            admin: TEST_ADMIN,
          }),
        );
        await Deno.chmod(config, 0o644);
        await podman.podman([
          "run",
          "-d",
          "--pull=never",
          "--network=host",
          "--name",
          "nats",
          "--volume",
          `${config}:${NATS_IMAGE_CONFIG_PATH}:ro`,
          nats.reference,
        ]);
        const nc = await waitFor(
          "the nats-server container to accept the admin",
          () =>
            connect({
              servers: `nats://127.0.0.1:${port}`,
              user: TEST_ADMIN.user,
              pass: TEST_ADMIN.password,
            }).catch(() => undefined),
          { timeoutMs: 20_000 },
        );
        try {
          const sub = nc.subscribe("image.echo", { max: 1 });
          (async () => {
            for await (const msg of sub) msg.respond(msg.data);
          })();
          const reply = await nc.request("image.echo", "hello", {
            timeout: 5_000,
          });
          assert.equal(reply.string(), "hello");
        } finally {
          await nc.close();
        }
      },
    );

    await using server = await NatsServerProcess.start({
      config: {
        admin: TEST_ADMIN,
        devices: [{ deviceId: DEVICE, ...CREDENTIALS }],
      },
    });
    const nc = await connect({
      servers: server.url,
      user: TEST_ADMIN.user,
      pass: TEST_ADMIN.password,
    });
    await using _nc = { [Symbol.asyncDispose]: () => nc.close() };
    const client = new FleetCommandsClient(nc, { timeoutMs: 3_000 });
    /** Writes the agent's config (readable by the image's user), runs the agent image, waits for a ping. */
    const runAgent = async (
      name: string,
      options: { runtimeEnabled?: boolean; podmanArgs?: string[] } = {},
    ) => {
      const config = `${dir.path}/${name}.toml`;
      await Deno.writeTextFile(
        config,
        renderAgentConfig({
          deviceId: DEVICE,
          servers: server.url,
          credentials: CREDENTIALS,
          runtimeEnabled: options.runtimeEnabled,
        }),
      );
      await Deno.chmod(config, 0o644);
      await podman.podman([
        "run",
        "-d",
        "--pull=never",
        "--network=host",
        "--name",
        name,
        "--volume",
        `${config}:${AGENT_IMAGE_CONFIG_PATH}:ro`,
        ...options.podmanArgs ?? [],
        agent.reference,
      ]);
      return await waitFor(
        `the agent container ${name} to answer a ping`,
        () => client.ping(DEVICE).catch(() => undefined),
        { timeoutMs: 30_000 },
      );
    };

    await t.step(
      "the agent image answers a ping, logs on stderr and stops on SIGTERM with 0 within 2 s",
      async () => {
        const reply = await runAgent("agent");
        assert.equal(reply.device_id, DEVICE);
        assert.equal(reply.runtime, "disabled");
        // podman stop sends SIGTERM and, 2 s later, SIGKILL (exit code 137).
        await podman.podman(["stop", "--time", "2", "agent"]);
        const { stdout: code } = await podman.podman([
          "inspect",
          "--format",
          "{{.State.ExitCode}}",
          "agent",
        ]);
        assert.equal(decoder.decode(code).trim(), "0");
        const logs = await podman.podman(["logs", "agent"]);
        assert.equal(decoder.decode(logs.stdout), "");
        const events = decoder.decode(logs.stderr).trim().split("\n").map((
          line,
        ) => JSON.parse(line).event);
        for (const event of ["ready", "signal_received", "stopped"]) {
          assert.ok(events.includes(event), `${event} in ${events}`);
        }
      },
    );

    await t.step(
      "the agent image's permissions suffice for logs, exec and ending an exec at its deadline",
      async () => {
        const { image: workload } = await provideWorkloadImage(podman);
        await podman.runContainer({
          name: "web",
          image: workload,
          cmd: ["sh", "-c", "echo hello; exec sleep 600"],
        });
        // The socket at the rootful default path, as on a device; it is the
        // service's (root, mode 0600), so the agent runs as root here, and in
        // the host's pid namespace to kill an exec session's process.
        const reply = await runAgent("agent-runtime", {
          runtimeEnabled: true,
          podmanArgs: [
            "--user=0:0",
            "--pid=host",
            "--volume",
            `${podman.socketPath}:/run/podman/podman.sock`,
          ],
        });
        assert.equal(reply.runtime, "podman");
        let logs = "";
        for await (const chunk of client.logs(DEVICE, { container: "web" })) {
          logs += decoder.decode(chunk.data);
        }
        assert.equal(logs, "hello\n");
        const exec = await client.exec(DEVICE, {
          container: "web",
          cmd: ["sh", "-c", "echo out; exit 3"],
        });
        assert.deepEqual([exec.exitCode, decoder.decode(exec.stdout)], [
          3,
          "out\n",
        ]);
        await assert.rejects(
          client.exec(DEVICE, {
            container: "web",
            cmd: ["sleep", "3601"],
            timeoutMs: 1_000,
          }),
        );
        await waitFor("sleep 3601 to be killed at its deadline", async () => {
          const ps = await podman.podman(["exec", "web", "ps", "-o", "args"]);
          return !decoder.decode(ps.stdout).includes("sleep 3601");
        });
        await podman.podman(["stop", "--time", "2", "agent-runtime"]);
      },
    );

    await t.step(
      "the agent image without a config exits 2 naming the path on stderr",
      async () => {
        const run = await podman.podman([
          "run",
          "--rm",
          "--pull=never",
          "--network=none",
          agent.reference,
        ], { check: false });
        assert.equal(run.code, 2);
        const stderr = decoder.decode(run.stderr);
        assert.ok(stderr.includes(AGENT_IMAGE_CONFIG_PATH), stderr);
        assert.match(stderr, /config_invalid/);
      },
    );
  },
});

/** A podman that must not be called (the failures come before any build). */
const NO_PODMAN = {
  dir: Deno.env.get("TMPDIR") || "/tmp",
  podman: () => Promise.reject(new Error("podman must not be called")),
};

Deno.test("buildNatsImage() with a nats-server that cannot be read throws an ImageBuildError", async () => {
  await assert.rejects(
    buildNatsImage(NO_PODMAN, { natsServer: "/nonexistent/nats-server" }),
    (error: unknown) => {
      assert.ok(error instanceof ImageBuildError);
      assert.equal(error.repository, NATS_IMAGE_REPOSITORY);
      assert.match(
        error.message,
        /^Cannot build the nats-server image: .*"\/nonexistent\/nats-server"/,
      );
      return true;
    },
  );
});

Deno.test("buildAgentImage() with an entry deno cannot bundle throws an ImageBuildError with its output", async () => {
  await using dir = await tempDir("fleet-images-test-");
  const entry = `${dir.path}/broken.ts`;
  await Deno.writeTextFile(entry, 'import "./missing.ts";\n');
  await assert.rejects(
    buildAgentImage({ ...NO_PODMAN, dir: dir.path }, { entry }),
    (error: unknown) => {
      assert.ok(error instanceof ImageBuildError);
      assert.equal(error.repository, AGENT_IMAGE_REPOSITORY);
      assert.match(
        error.message,
        /^Cannot build the agent image: "deno bundle .*broken\.ts" exited with code \d+: .*missing\.ts/s,
      );
      return true;
    },
  );
  assert.deepEqual(
    [...Deno.readDirSync(dir.path)].map((entry) => entry.name),
    ["broken.ts"],
    "the bundle's temp dir is removed",
  );
});

Deno.test("buildAgentImage() refuses a remote entry", async () => {
  await assert.rejects(
    buildAgentImage(NO_PODMAN, {
      entry: new URL("https://example.invalid/agent/main.ts"),
    }),
    (error: unknown) => {
      assert.ok(error instanceof ImageBuildError);
      assert.match(error.message, /is not a local file/);
      return true;
    },
  );
});

Deno.test("agentImageEntrypoint() runs the bundle with deno, no remote code, and exactly the agent's permissions", () => {
  assert.deepEqual(agentImageEntrypoint(), [
    "/usr/bin/deno",
    "run",
    "--no-remote",
    "--no-prompt",
    ...AGENT_PERMISSION_FLAGS,
    "/app/agent.js",
  ]);
  assert.ok(
    !agentImageEntrypoint().some((arg) => /^(-A|--allow-all)$/.test(arg)),
  );
});
