// The local auth-callout image, built and run with a real podman: its
// entrypoint (--help, exit codes of a bad or missing config) and a login
// through it, the container on the host network answering a nats-server
// started on the host. Ignored with a one-line reason without podman,
// unless FLEET_REQUIRE_PODMAN=1.
import assert from "node:assert/strict";
import { connect } from "../nats/mod.ts";
import {
  generateCalloutKeys,
  ignoreWithoutPodman,
  MockOidcIssuer,
  NatsServerProcess,
  PodmanService,
  renderCalloutConfig,
  tempDir,
  waitFor,
} from "../testing/mod.ts";
import { CalloutExitCode } from "../callout/exit_codes.ts";
import {
  buildCalloutImage,
  CALLOUT_IMAGE_CONFIG_PATH,
  CALLOUT_IMAGE_REPOSITORY,
  CALLOUT_PERMISSION_FLAGS,
  calloutImageEntrypoint,
  IMAGE_USER,
  ImageBuildError,
} from "./images.ts";

const ignore = ignoreWithoutPodman();
const decoder = new TextDecoder();
/** The image's user, who must be able to read the mounted files. */
const UID = 65532;

Deno.test({
  name: "buildCalloutImage() builds an image that runs the auth callout",
  ignore,
  fn: async (t) => {
    await using podman = await PodmanService.start();
    await using dir = await tempDir("fleet-callout-image-test-");
    const image = await buildCalloutImage(podman, { force: false });
    console.log(
      `[figure] callout image: ${image.reference} built=${image.built} ${
        (image.sizeBytes / 1e6).toFixed(1)
      } MB ${Math.round(image.ms)} ms`,
    );
    const run = (args: string[]) =>
      podman.podman([
        "run",
        "--rm",
        "--pull=never",
        "--network=none",
        ...args,
      ], { check: false });

    await t.step(
      "buildCalloutImage() builds a content-tagged image run by the non-root user",
      async () => {
        assert.match(
          image.reference,
          new RegExp(`^${CALLOUT_IMAGE_REPOSITORY}:e2e-[0-9a-f]{16}$`),
        );
        const again = await buildCalloutImage(podman, { force: false });
        assert.deepEqual([again.reference, again.built], [
          image.reference,
          false,
        ]);
        const { stdout } = await podman.podman([
          "image",
          "inspect",
          "--format",
          "{{.Config.User}}",
          image.reference,
        ]);
        assert.equal(decoder.decode(stdout).trim(), IMAGE_USER);
      },
    );

    await t.step(
      "the callout image prints its usage for --help and exits 0",
      async () => {
        const help = await run([image.reference, "--help"]);
        assert.equal(
          help.code,
          CalloutExitCode.Ok,
          decoder.decode(help.stderr),
        );
        assert.match(decoder.decode(help.stdout), /--config/);
      },
    );

    await t.step(
      "the callout image without a config exits 2 naming the path",
      async () => {
        const missing = await run([image.reference]);
        assert.equal(missing.code, CalloutExitCode.Config);
        const line = JSON.parse(decoder.decode(missing.stderr).trim());
        assert.equal(line.event, "config_invalid");
        assert.equal(line.path, CALLOUT_IMAGE_CONFIG_PATH);
      },
    );

    await t.step(
      "the callout image with a bad config exits 2 naming the key",
      async () => {
        const config = `${dir.path}/bad.toml`;
        await Deno.writeTextFile(
          config,
          '[nats]\nservers = "nats://127.0.0.1:4222"\n',
        );
        await Deno.chown(config, UID, UID);
        const bad = await run([
          "--volume",
          `${config}:${CALLOUT_IMAGE_CONFIG_PATH}:ro`,
          image.reference,
        ]);
        assert.equal(bad.code, CalloutExitCode.Config);
        const line = JSON.parse(decoder.decode(bad.stderr).trim());
        assert.equal(line.event, "config_invalid");
        assert.equal(line.key, "callout.issuer_seed_file");
        assert.equal(line.path, CALLOUT_IMAGE_CONFIG_PATH);
      },
    );

    await t.step(
      "the callout image lets a device log in to a host nats-server and stops on SIGTERM with 0",
      async () => {
        const keys = generateCalloutKeys();
        await using issuer = await MockOidcIssuer.start();
        await using server = await NatsServerProcess.start({
          config: { callout: { keys } },
        });
        // The config and seeds the callout reads, as a mounted directory
        // owned by the image's user (the seeds stay 0600).
        const etc = `${dir.path}/etc`;
        await Deno.mkdir(etc);
        const files: Record<string, string> = {
          "callout.toml": renderCalloutConfig({
            dir: etc,
            servers: server.url,
            keys,
            issuer,
            oidc: {},
          }),
          "callout-issuer.nk": keys.issuerSeed,
          "callout-xkey.nk": keys.xkeySeed!,
        };
        for (const [name, text] of Object.entries(files)) {
          await Deno.writeTextFile(`${etc}/${name}`, text, { mode: 0o600 });
          await Deno.chown(`${etc}/${name}`, UID, UID);
        }
        await podman.podman([
          "run",
          "-d",
          "--pull=never",
          "--network=host",
          "--read-only",
          "--name",
          "callout",
          "--volume",
          `${etc}:/etc/harmony-fleet:ro`,
          image.reference,
        ]);
        const events = async () => {
          const logs = await podman.podman(["logs", "callout"]);
          return decoder.decode(logs.stderr).trim().split("\n")
            .filter((line) => line.startsWith("{"))
            .map((line) => JSON.parse(line).event as string);
        };
        await waitFor(
          "the callout container to log callout_ready",
          async () => (await events()).includes("callout_ready"),
          { timeoutMs: 30_000 },
        );
        const token = await issuer.mint({ subject: "device-image-dev-1" });
        const nc = await connect({ servers: server.url, token });
        try {
          await nc.flush();
        } finally {
          await nc.close();
        }
        await podman.podman(["stop", "--time", "5", "callout"]);
        const { stdout: code } = await podman.podman([
          "inspect",
          "--format",
          "{{.State.ExitCode}}",
          "callout",
        ]);
        assert.equal(decoder.decode(code).trim(), "0");
        const seen = await events();
        for (const event of ["auth_allowed", "signal_received", "stopped"]) {
          assert.ok(seen.includes(event), `${event} in ${seen}`);
        }
        const logs = await podman.podman(["logs", "callout"]);
        assert.ok(!decoder.decode(logs.stderr).includes(token));
        assert.equal(decoder.decode(logs.stdout), "");
      },
    );
  },
});

Deno.test("buildCalloutImage() refuses a remote entry", async () => {
  await assert.rejects(
    buildCalloutImage({
      dir: Deno.env.get("TMPDIR") || "/tmp",
      podman: () => Promise.reject(new Error("podman must not be called")),
    }, { entry: new URL("https://example.invalid/callout/main.ts") }),
    (error: unknown) => {
      assert.ok(error instanceof ImageBuildError);
      assert.equal(error.repository, CALLOUT_IMAGE_REPOSITORY);
      assert.match(
        error.message,
        /^Cannot build the callout image: the callout entry .* is not a local file/,
      );
      return true;
    },
  );
});

Deno.test("calloutImageEntrypoint() runs the bundle with deno, no remote code, and exactly the callout's permissions", () => {
  assert.deepEqual(calloutImageEntrypoint(), [
    "/usr/bin/deno",
    "run",
    "--no-remote",
    "--no-prompt",
    ...CALLOUT_PERMISSION_FLAGS,
    "/app/callout.js",
  ]);
  assert.ok(
    !calloutImageEntrypoint().some((arg) =>
      /^(-A|--allow-all|--allow-(run|write|env|sys|ffi|import)\b)/.test(arg)
    ),
  );
});
