import assert from "node:assert/strict";
import {
  natsContextDir,
  renderUpContext,
  renderUpEnv,
  writeUpFiles,
} from "./_up_files.ts";
import { exists, tempDir } from "../testing/mod.ts";

const FIELDS = {
  namespace: "e2e-0badf00d",
  natsUrl: "nats://127.0.0.1:41234",
  admin: { user: "admin", password: "0123abcd" },
  deviceIds: ["vm-device-00-e2e-0badf00d", "vm-device-01-e2e-0badf00d"],
};

Deno.test("renderUpEnv() exports the URL, credentials and device ids for a shell", async () => {
  const text = renderUpEnv(FIELDS);
  assert.ok(text.includes("export NATS_URL=nats://127.0.0.1:41234\n"));
  assert.ok(text.includes("export NATS_USER=admin\n"));
  assert.ok(text.includes("export NATS_PASSWORD=0123abcd\n"));
  assert.ok(
    text.includes(
      "export FLEET_DEVICES='vm-device-00-e2e-0badf00d vm-device-01-e2e-0badf00d'\n",
    ),
  );
  assert.ok(text.includes("export FLEET_DEVICE=vm-device-00-e2e-0badf00d\n"));
  // What a shell makes of it.
  const output = await new Deno.Command("bash", {
    args: ["-c", `${text}\necho "$NATS_URL|$NATS_PASSWORD|$FLEET_DEVICES"`],
    stdout: "piped",
  }).output();
  assert.equal(
    new TextDecoder().decode(output.stdout),
    "nats://127.0.0.1:41234|0123abcd|vm-device-00-e2e-0badf00d vm-device-01-e2e-0badf00d\n",
  );
});

Deno.test("renderUpEnv() exports FLEET_CONTAINER, the first device's workload, when there is one", () => {
  assert.ok(
    renderUpEnv({ ...FIELDS, container: "web-00" }).includes(
      "export FLEET_CONTAINER=web-00\n",
    ),
  );
  assert.equal(renderUpEnv(FIELDS).includes("FLEET_CONTAINER"), false);
});

Deno.test("renderUpContext() writes the nats CLI context fields", () => {
  assert.deepEqual(JSON.parse(renderUpContext(FIELDS)), {
    description: "deno task up: stack e2e-0badf00d",
    url: "nats://127.0.0.1:41234",
    user: "admin",
    password: "0123abcd",
  });
});

Deno.test("natsContextDir() follows XDG_CONFIG_HOME, else HOME, as the nats CLI", () => {
  assert.equal(
    natsContextDir({ XDG_CONFIG_HOME: "/x", HOME: "/h" }),
    "/x/nats/context",
  );
  assert.equal(natsContextDir({ HOME: "/h" }), "/h/.config/nats/context");
  assert.equal(natsContextDir({}), undefined);
});

Deno.test("writeUpFiles() writes owner-only files and removes them on dispose", async () => {
  await using dir = await tempDir("fleet-up-files-test-");
  const files = await writeUpFiles(FIELDS, {
    dir: dir.path,
    env: { XDG_CONFIG_HOME: `${dir.path}/config` },
  });
  assert.equal(files.envPath, `${dir.path}/fleet-up.env`);
  assert.equal(
    files.contextPath,
    `${dir.path}/config/nats/context/fleet-up.json`,
  );
  for (const path of [files.envPath, files.contextPath!]) {
    assert.equal((await Deno.stat(path)).mode! & 0o777, 0o600, path);
  }
  assert.equal(exists(`${dir.path}/config/nats/context.txt`), false);
  await files[Symbol.asyncDispose]();
  await files[Symbol.asyncDispose]();
  assert.equal(exists(files.envPath), false);
  assert.equal(exists(files.contextPath!), false);
});

Deno.test("writeUpFiles() dispose leaves a file another run has replaced", async () => {
  await using dir = await tempDir("fleet-up-files-test-");
  const options = { dir: dir.path, env: { XDG_CONFIG_HOME: dir.path } };
  const first = await writeUpFiles(FIELDS, options);
  const second = await writeUpFiles(
    { ...FIELDS, namespace: "e2e-12345678" },
    options,
  );
  await first[Symbol.asyncDispose]();
  assert.match(await Deno.readTextFile(second.envPath), /e2e-12345678/);
  assert.match(await Deno.readTextFile(second.contextPath!), /e2e-12345678/);
  await second[Symbol.asyncDispose]();
  assert.equal(exists(second.envPath), false);
});
