import assert from "node:assert/strict";
import {
  findNatsServer,
  findNatsServerWith,
  fleetCacheDir,
  NatsServerNotFoundError,
} from "./nats_server_binary.ts";
import {
  DownloadError,
  type InstallSteps,
  parseDebianMirror,
} from "./_nats_server_install.ts";
import { parseNatsServerVersion } from "./_version.ts";
import { tempDir } from "./mod.ts";

/** Writes a fake `nats-server` that prints `version` for `--version`. */
async function fakeServer(dir: string, version: string): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/nats-server`;
  await Deno.writeTextFile(
    path,
    `#!/bin/sh\necho "nats-server: v${version}"\n`,
  );
  await Deno.chmod(path, 0o755);
  return path;
}

const quiet = () => {};

Deno.test("findNatsServer() names NATS_SERVER_BIN when it points nowhere", async () => {
  await assert.rejects(
    findNatsServer({ env: { NATS_SERVER_BIN: "/nonexistent/nats-server" } }),
    (error) => {
      assert.ok(error instanceof NatsServerNotFoundError);
      assert.match(
        error.message,
        /NATS_SERVER_BIN="\/nonexistent\/nats-server" is not an executable file/,
      );
      return true;
    },
  );
});

Deno.test("findNatsServer() rejects a NATS_SERVER_BIN older than 2.10", async () => {
  await using dir = await tempDir("fleet-binary-test-");
  const old = await fakeServer(`${dir.path}/old`, "2.9.10");
  await assert.rejects(
    findNatsServer({ env: { NATS_SERVER_BIN: old } }),
    (error) => {
      assert.ok(error instanceof NatsServerNotFoundError);
      assert.match(
        error.message,
        /is nats-server 2\.9\.10; ≥ 2\.10\.0 is required/,
      );
      return true;
    },
  );
});

Deno.test("findNatsServer() prefers NATS_SERVER_BIN over PATH and cache", async () => {
  await using dir = await tempDir("fleet-binary-test-");
  const chosen = await fakeServer(`${dir.path}/env`, "2.10.1");
  await fakeServer(`${dir.path}/bin`, "2.11.0");
  const found = await findNatsServer({
    env: {
      NATS_SERVER_BIN: chosen,
      PATH: `${dir.path}/bin`,
      FLEET_CACHE_DIR: dir.path,
    },
    install: false,
  });
  assert.equal(found, chosen);
});

Deno.test("findNatsServer() takes nats-server from PATH only when it is ≥ 2.10", async () => {
  await using dir = await tempDir("fleet-binary-test-");
  const recent = await fakeServer(`${dir.path}/new`, "2.10.5");
  await fakeServer(`${dir.path}/old`, "2.9.10");
  const env = { FLEET_CACHE_DIR: `${dir.path}/cache` };
  assert.equal(
    await findNatsServer({
      env: { ...env, PATH: `/nonexistent:${dir.path}/new` },
      install: false,
    }),
    recent,
  );
  await assert.rejects(
    findNatsServer({
      env: { ...env, PATH: `${dir.path}/old` },
      install: false,
    }),
    (error) => {
      assert.ok(error instanceof NatsServerNotFoundError);
      assert.match(
        error.message,
        /PATH: ".*\/old\/nats-server" is version 2\.9\.10; ≥ 2\.10\.0 is required/,
      );
      assert.match(error.message, /set NATS_SERVER_BIN=/);
      assert.match(error.message, /put nats-server ≥ 2\.10\.0 on PATH/);
      assert.ok(
        error.message.includes(
          `"${dir.path}/cache/nats-server-2.10.27/nats-server"`,
        ),
      );
      return true;
    },
  );
});

Deno.test("findNatsServer() takes the newest usable version from the cache", async () => {
  await using dir = await tempDir("fleet-binary-test-");
  await fakeServer(`${dir.path}/nats-server-2.9.10`, "2.9.10");
  await fakeServer(`${dir.path}/nats-server-2.10.3`, "2.10.3");
  const newest = await fakeServer(`${dir.path}/nats-server-2.10.27`, "2.10.27");
  await Deno.mkdir(`${dir.path}/nats-server-2.11.0`); // incomplete: no binary
  const found = await findNatsServer({
    env: { FLEET_CACHE_DIR: dir.path, PATH: "" },
    install: false,
  });
  assert.equal(found, newest);
});

Deno.test("findNatsServer() without install lists every attempt", async () => {
  await using dir = await tempDir("fleet-binary-test-");
  await assert.rejects(
    findNatsServer({
      env: { FLEET_CACHE_DIR: dir.path, PATH: "" },
      install: false,
      log: quiet,
    }),
    (error) => {
      assert.ok(error instanceof NatsServerNotFoundError);
      assert.deepEqual(error.attempts, [
        "NATS_SERVER_BIN: not set",
        'PATH: no "nats-server"',
        `cache: no usable "${dir.path}/nats-server-<version>/nats-server"`,
      ]);
      return true;
    },
  );
});

Deno.test({
  name: "findNatsServer() installs nats-server into an empty cache",
  // Downloads from the network (release archive or Debian mirror): opt in.
  ignore: Deno.env.get("FLEET_TEST_INSTALL") !== "1",
  async fn() {
    await using dir = await tempDir("fleet-binary-test-");
    const lines: string[] = [];
    const found = await findNatsServer({
      env: { FLEET_CACHE_DIR: dir.path, PATH: "" },
      log: (line) => lines.push(line),
    });
    assert.match(
      found,
      new RegExp(`^${dir.path}/nats-server-2\\.1\\d\\.\\d+/nats-server$`),
    );
    assert.ok(
      lines.some((line) => line.startsWith("installed nats-server")),
      lines.join("\n"),
    );
    const leftovers = [...Deno.readDirSync(dir.path)].map((entry) =>
      entry.name
    );
    assert.equal(
      leftovers.length,
      1,
      `only the install dir remains: ${leftovers}`,
    );
    // Found again from the cache without installing.
    assert.equal(
      await findNatsServer({
        env: { FLEET_CACHE_DIR: dir.path, PATH: "" },
        install: false,
      }),
      found,
    );
  },
});

Deno.test("fleetCacheDir() prefers FLEET_CACHE_DIR, then XDG_CACHE_HOME, then HOME", () => {
  assert.equal(
    fleetCacheDir({ FLEET_CACHE_DIR: "/c", XDG_CACHE_HOME: "/x", HOME: "/h" }),
    "/c",
  );
  assert.equal(
    fleetCacheDir({ XDG_CACHE_HOME: "/x", HOME: "/h" }),
    "/x/harmony-fleet",
  );
  assert.equal(fleetCacheDir({ HOME: "/h" }), "/h/.cache/harmony-fleet");
  assert.throws(() => fleetCacheDir({}), NatsServerNotFoundError);
});

Deno.test("parseNatsServerVersion() reads --version output and package versions", () => {
  assert.deepEqual(parseNatsServerVersion("nats-server: v2.10.27\n"), {
    major: 2,
    minor: 10,
    patch: 27,
  });
  assert.deepEqual(parseNatsServerVersion("2.10.27-1+b2"), {
    major: 2,
    minor: 10,
    patch: 27,
  });
  assert.equal(parseNatsServerVersion("nats-server: dev"), undefined);
});

Deno.test("parseDebianMirror() finds the main archive in deb822 sources", () => {
  const text = [
    "Types: deb",
    "URIs: http://mirror.example/debian-security",
    "Suites: bookworm-security",
    "Components: main",
    "",
    "Types: deb deb-src",
    "# a comment",
    "URIs: http://mirror.example/debian",
    "Suites: bookworm bookworm-updates",
    "Components: main",
    "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg",
  ].join("\n");
  assert.deepEqual(parseDebianMirror(text), {
    uri: "http://mirror.example/debian",
    signedBy: "/usr/share/keyrings/debian-archive-keyring.gpg",
  });
});

Deno.test("parseDebianMirror() finds the main archive in a one-line sources.list", () => {
  const text = [
    "# deb http://old.example/debian bookworm main",
    "deb http://mirror.example/debian-security bookworm-security main",
    "deb [arch=amd64 signed-by=/k.gpg] http://mirror.example/debian/ bookworm main",
  ].join("\n");
  assert.deepEqual(parseDebianMirror(text), {
    uri: "http://mirror.example/debian/",
    signedBy: "/k.gpg",
  });
  assert.equal(
    parseDebianMirror("deb http://ppa.example/ubuntu jammy main"),
    undefined,
  );
});

/** Install steps that stage a fake nats-server `version`, or fail. */
function fakeSteps(
  steps: { release?: string | Error; debian?: string | Error },
): InstallSteps {
  const stageWith =
    (source: "release" | "debian") =>
    async (workDir: string, log: (line: string) => void) => {
      const outcome = steps[source] ?? new Error(`no ${source} in this test`);
      if (outcome instanceof Error) throw outcome;
      log(`(fake ${source} step)`);
      return { path: await fakeServer(workDir, outcome), source };
    };
  return { release: stageWith("release"), debian: stageWith("debian") };
}

Deno.test("findNatsServer() says which nats-server on PATH is too old, where it installs, and calmly that the release archive is not reachable", async () => {
  await using dir = await tempDir("fleet-binary-test-");
  const old = await fakeServer(`${dir.path}/bin`, "2.9.10");
  const cache = `${dir.path}/cache`;
  const lines: string[] = [];
  const found = await findNatsServerWith(
    {
      env: { PATH: `${dir.path}/bin`, FLEET_CACHE_DIR: cache },
      log: (line) => lines.push(line),
    },
    fakeSteps({
      release: new DownloadError(
        "https://release.example/nats-server.tar.gz",
        "cannot resolve release.example",
      ),
      debian: "2.10.27",
    }),
  );
  assert.equal(found, `${cache}/nats-server-2.10.27/nats-server`);
  assert.deepEqual(lines, [
    `nats-server 2.9.10 on PATH at "${old}" is too old (need ≥ 2.10), and the cache "${cache}" has none`,
    `installing nats-server into "${cache}" (once; this takes a few seconds)…`,
    "release archive not reachable (cannot resolve release.example); trying the Debian package",
    "(fake debian step)",
    `installed nats-server 2.10.27 at "${cache}/nats-server-2.10.27/nats-server"`,
  ]);
});

Deno.test("findNatsServer() says when there is no nats-server on PATH at all, and is quiet when the release works", async () => {
  await using dir = await tempDir("fleet-binary-test-");
  const cache = `${dir.path}/cache`;
  const lines: string[] = [];
  await findNatsServerWith(
    {
      env: { PATH: `${dir.path}/empty`, FLEET_CACHE_DIR: cache },
      log: (line) => lines.push(line),
    },
    fakeSteps({ release: "2.10.27" }),
  );
  assert.deepEqual(lines, [
    `no nats-server on PATH, and the cache "${cache}" has none`,
    `installing nats-server into "${cache}" (once; this takes a few seconds)…`,
    "(fake release step)",
    `installed nats-server 2.10.27 at "${cache}/nats-server-2.10.27/nats-server"`,
  ]);
});

Deno.test("findNatsServer() says when the nats-server on PATH does not run", async () => {
  await using dir = await tempDir("fleet-binary-test-");
  await Deno.mkdir(`${dir.path}/bin`);
  const broken = `${dir.path}/bin/nats-server`;
  await Deno.writeTextFile(broken, "#!/bin/sh\necho 'no version here'\n");
  await Deno.chmod(broken, 0o755);
  const cache = `${dir.path}/cache`;
  const lines: string[] = [];
  await findNatsServerWith(
    {
      env: { PATH: `${dir.path}/bin`, FLEET_CACHE_DIR: cache },
      log: (line) => lines.push(line),
    },
    fakeSteps({ release: "2.10.27" }),
  );
  assert.match(
    lines[0],
    new RegExp(
      `^nats-server on PATH at "${broken}" does not tell its version \\(.*no version here.*\\), and the cache "${cache}" has none$`,
    ),
  );
});
