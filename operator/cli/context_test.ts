import assert from "node:assert/strict";
import { loadNatsContext } from "./context.ts";
import { CliUsageError } from "./errors.ts";
import { tempDir } from "../../testing/mod.ts";

/** Writes `<configHome>/nats/context/<name>.json` with `body` (an object is JSON-encoded). */
async function writeContext(
  configHome: string,
  name: string,
  body: unknown,
): Promise<string> {
  const dir = `${configHome}/nats/context`;
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/${name}.json`;
  await Deno.writeTextFile(
    path,
    typeof body === "string" ? body : JSON.stringify(body),
  );
  return path;
}

function envOf(vars: Record<string, string>) {
  return (name: string) => vars[name];
}

/** Asserts a CliUsageError naming `file`, whose message matches `problem`. */
function usageError(file: string, problem: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof CliUsageError, String(error));
    assert.equal(error.file, file);
    assert.ok(error.message.includes(JSON.stringify(file)), error.message);
    assert.match(error.message, problem);
    return true;
  };
}

Deno.test("loadNatsContext() reads a named context under HOME/.config/nats, as the nats CLI writes it", async () => {
  await using home = await tempDir();
  const path = await writeContext(`${home.path}/.config`, "prod", {
    description: "production",
    url: "nats://a:4222,nats://b:4222",
    user: "op",
    password: "s3cret",
    token: "",
    creds: "",
    inbox_prefix: "_INBOX_op",
    jetstream_domain: "",
    color_scheme: "",
    tls_first: false,
    some_future_field: 1,
  });

  const context = await loadNatsContext("prod", {
    getEnv: envOf({ HOME: home.path }),
  });

  assert.ok(context !== undefined);
  assert.equal(context.name, "prod");
  assert.equal(context.path, path);
  assert.equal(context.inboxPrefix, "_INBOX_op");
  const from = (field: string) =>
    `context "prod" (${JSON.stringify(path)}) ${field}`;
  assert.deepEqual(context.layer, {
    server: { value: "nats://a:4222,nats://b:4222", from: from("url") },
    user: { value: "op", from: from("user") },
    password: { value: "s3cret", from: from("password") },
  });
});

Deno.test("loadNatsContext() prefers XDG_CONFIG_HOME, takes the selected context from context.txt, and expands ~/ in creds", async () => {
  await using home = await tempDir();
  await using xdg = await tempDir();
  await writeContext(`${home.path}/.config`, "dev", { url: "nats://home" });
  await writeContext(xdg.path, "dev", { creds: "~/keys/dev.creds" });
  await Deno.writeTextFile(`${xdg.path}/nats/context.txt`, "dev\n");
  const getEnv = envOf({ HOME: home.path, XDG_CONFIG_HOME: xdg.path });

  const context = await loadNatsContext(undefined, { getEnv });

  assert.equal(context?.name, "dev");
  assert.equal(context?.layer.server, undefined);
  assert.equal(context?.layer.creds?.value, `${home.path}/keys/dev.creds`);
  assert.equal(
    await loadNatsContext(undefined, { getEnv, noSelected: true }),
    undefined,
  );
});

Deno.test("loadNatsContext() is undefined without a selected context or a home, and reads an absolute path", async () => {
  await using home = await tempDir();
  assert.equal(
    await loadNatsContext(undefined, { getEnv: envOf({ HOME: home.path }) }),
    undefined,
  );
  assert.equal(
    await loadNatsContext(undefined, { getEnv: envOf({}) }),
    undefined,
  );
  await Deno.mkdir(`${home.path}/.config/nats`, { recursive: true });
  await Deno.writeTextFile(`${home.path}/.config/nats/context.txt`, "  \n");
  assert.equal(
    await loadNatsContext(undefined, { getEnv: envOf({ HOME: home.path }) }),
    undefined,
  );
  const path = await writeContext(home.path, "abs", { url: "nats://x" });
  const context = await loadNatsContext(path, { getEnv: envOf({}) });
  assert.equal(context?.name, "abs");
  assert.equal(context?.layer.server?.value, "nats://x");
});

Deno.test("loadNatsContext() throws CliUsageError naming the file for a missing, malformed or unsupported context", async () => {
  await using home = await tempDir();
  const config = `${home.path}/.config`;
  const getEnv = envOf({ HOME: home.path });
  const missing = `${config}/nats/context/nope.json`;
  await assert.rejects(
    loadNatsContext("nope", { getEnv }),
    usageError(missing, /^Cannot use NATS context "nope": .* does not exist/),
  );
  const cases: [string, unknown, RegExp][] = [
    ["broken", "{ not json", /is not valid JSON/],
    ["array", "[]", /is not a JSON object/],
    ["wrongtype", { url: 4222 }, /field "url" must be a string, got 4222/],
    [
      "tlsfirst",
      { tls_first: "yes" },
      /field "tls_first" must be true or false/,
    ],
    ["nkey", { nkey: "/k.nk" }, /field "nkey" is not supported/],
    [
      "nsc",
      { creds: "nsc://op/acc/user" },
      /field "creds": .* only a file path/,
    ],
  ];
  for (const [name, body, problem] of cases) {
    const path = await writeContext(config, name, body);
    await assert.rejects(
      loadNatsContext(name, { getEnv }),
      usageError(path, problem),
      name,
    );
  }
  // The selected context must exist too.
  await Deno.writeTextFile(`${config}/nats/context.txt`, "gone");
  await assert.rejects(
    loadNatsContext(undefined, { getEnv }),
    usageError(`${config}/nats/context/gone.json`, /does not exist/),
  );
});

Deno.test("loadNatsContext() refuses names that are not context names, and a name without a home", async () => {
  for (const name of ["../x", "a/b", ""]) {
    await assert.rejects(
      loadNatsContext(name, { getEnv: envOf({ HOME: "/nowhere" }) }),
      (error) => {
        assert.ok(error instanceof CliUsageError);
        assert.match(error.message, /^Invalid NATS context name/);
        return true;
      },
    );
  }
  await assert.rejects(
    loadNatsContext("prod", { getEnv: envOf({}) }),
    (error) => {
      assert.ok(error instanceof CliUsageError);
      assert.match(error.message, /neither XDG_CONFIG_HOME nor HOME is set/);
      return true;
    },
  );
});

Deno.test("loadNatsContext() reads ca, cert, key (expanding ~/) and tls_first, as the nats CLI writes them", async () => {
  await using home = await tempDir();
  const path = await writeContext(`${home.path}/.config`, "edge", {
    url: "tls://nats.example.com",
    ca: "~/tls/ca.pem",
    cert: "/etc/fleet/operator.pem",
    key: "~/tls/operator-key.pem",
    tls_first: true,
  });
  const context = await loadNatsContext("edge", {
    getEnv: envOf({ HOME: home.path }),
  });
  const from = (field: string) =>
    `context "edge" (${JSON.stringify(path)}) ${field}`;
  assert.deepEqual(context?.layer, {
    server: { value: "tls://nats.example.com", from: from("url") },
    tlsCa: { value: `${home.path}/tls/ca.pem`, from: from("ca") },
    tlsCert: { value: "/etc/fleet/operator.pem", from: from("cert") },
    tlsKey: { value: `${home.path}/tls/operator-key.pem`, from: from("key") },
    tlsFirst: { value: true, from: from("tls_first") },
  });
  // tls_first false, as `nats context save` writes it, is unset.
  await writeContext(`${home.path}/.config`, "plain", { tls_first: false });
  const plain = await loadNatsContext("plain", {
    getEnv: envOf({ HOME: home.path }),
  });
  assert.deepEqual(plain?.layer, {});
});
