import assert from "node:assert/strict";
import { generateCalloutKeys, tempDir } from "../testing/mod.ts";
import { CalloutConfigError, parseCalloutConfig } from "./config.ts";

async function setup(dir: string) {
  const keys = generateCalloutKeys();
  await Deno.writeTextFile(`${dir}/issuer.nk`, keys.issuerSeed);
  await Deno.writeTextFile(`${dir}/xkey.nk`, keys.xkeySeed!);
  return keys;
}

const VALID = `
[nats]
servers = ["nats://127.0.0.1:4222"]
user = "callout"
password = "pw"
[callout]
issuer_seed_file = "issuer.nk"
xkey_seed_file = "xkey.nk"
operator_subjects = ["fleet-ops"]
[oidc]
issuer = "https://idp.example.com"
audience = "harmony-fleet-nats"
`;

Deno.test("parseCalloutConfig() reads a config with its defaults and seed files", async () => {
  await using dir = await tempDir();
  const keys = await setup(dir.path);
  const config = await parseCalloutConfig(VALID, `${dir.path}/callout.toml`);
  assert.deepEqual(config.nats.servers, ["nats://127.0.0.1:4222"]);
  assert.equal(config.nats.user, "callout");
  assert.equal(new TextDecoder().decode(config.issuerSeed), keys.issuerSeed);
  assert.equal(new TextDecoder().decode(config.xkeySeed), keys.xkeySeed);
  assert.equal(config.account, "APP");
  assert.equal(config.queueGroup, "fleet-callout");
  assert.deepEqual(config.operatorSubjects, ["fleet-ops"]);
  assert.deepEqual(config.oidc.algorithms, ["ES256", "RS256"]);
  assert.equal(config.oidc.clockLeewayS, 30);
  assert.equal(config.oidc.jwksUri, undefined);
  assert.equal(config.oidc.maxTokenBytes, 8192);
});

async function refusal(text: string): Promise<CalloutConfigError> {
  await using dir = await tempDir();
  await setup(dir.path);
  const error = await parseCalloutConfig(text, `${dir.path}/callout.toml`)
    .then(() => undefined, (e) => e);
  assert.ok(error instanceof CalloutConfigError, String(error));
  return error;
}

Deno.test("parseCalloutConfig() refuses bad values naming the key", async () => {
  const cases: [string, string][] = [
    [VALID.replace('audience = "harmony-fleet-nats"', ""), "oidc.audience"],
    [
      VALID.replace('issuer = "https://idp.example.com"', 'issuer = "ftp://x"'),
      "oidc.issuer",
    ],
    [VALID + 'algorithms = ["none"]\n', "oidc.algorithms"],
    [VALID + 'algorithms = ["HS256"]\n', "oidc.algorithms"],
    [VALID + "clock_leeway_s = 3600\n", "oidc.clock_leeway_s"],
    [VALID + "colour = 1\n", "oidc.colour"],
    [VALID.replace('"issuer.nk"', '"missing.nk"'), "callout.issuer_seed_file"],
    [VALID.replace('"issuer.nk"', '"xkey.nk"'), "callout.issuer_seed_file"],
    [
      VALID.replace(
        'xkey_seed_file = "xkey.nk"',
        'xkey_seed_file = "issuer.nk"',
      ),
      "callout.xkey_seed_file",
    ],
    [
      VALID.replace('["fleet-ops"]', '["device-x"]'),
      "callout.operator_subjects",
    ],
    [
      VALID.replace(
        'servers = ["nats://127.0.0.1:4222"]',
        'servers = ["ws://h"]',
      ),
      "nats.servers",
    ],
  ];
  for (const [text, key] of cases) {
    const error = await refusal(text);
    assert.equal(error.key, key, error.message);
    assert.ok(error.message.includes(`"${key}"`), error.message);
  }
});

Deno.test("parseCalloutConfig() never quotes a seed file's content", async () => {
  await using dir = await tempDir();
  const keys = await setup(dir.path);
  // The issuer seed where the xkey seed belongs: wrong kind.
  const error = await parseCalloutConfig(
    VALID.replace('xkey_seed_file = "xkey.nk"', 'xkey_seed_file = "issuer.nk"'),
    `${dir.path}/callout.toml`,
  ).then(() => undefined, (e) => e);
  assert.ok(error instanceof CalloutConfigError);
  assert.ok(!error.message.includes(keys.issuerSeed));
});

Deno.test("parseCalloutConfig() refuses text that is not TOML", async () => {
  const error = await refusal("[nats\n");
  assert.match(error.message, /not valid TOML at line 1/);
});
