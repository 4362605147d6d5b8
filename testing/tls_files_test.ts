import assert from "node:assert/strict";
import { tempDir } from "./temp_dir.ts";
import { writeTlsFiles, writeTlsTestFiles } from "./tls_files.ts";

Deno.test("writeTlsFiles() writes the CA, the server's pair and one pair per client, keys readable by the owner only", async () => {
  await using dir = await tempDir("fleet-tls-files-test-");
  const files = await writeTlsFiles(`${dir.path}/tls`, {
    clients: ["admin", "vm-device-00"],
  });
  assert.equal(files.caFile, `${dir.path}/tls/ca.pem`);
  assert.deepEqual(files.server, {
    certFile: `${dir.path}/tls/server.pem`,
    keyFile: `${dir.path}/tls/server-key.pem`,
  });
  assert.deepEqual(Object.keys(files.clients).sort(), [
    "admin",
    "vm-device-00",
  ]);
  for (const pair of [files.server, ...Object.values(files.clients)]) {
    assert.match(await Deno.readTextFile(pair.certFile), /BEGIN CERTIFICATE/);
    assert.match(await Deno.readTextFile(pair.keyFile), /BEGIN PRIVATE KEY/);
    assert.equal((await Deno.stat(pair.keyFile)).mode! & 0o777, 0o600);
  }
  const names = [...Deno.readDirSync(files.dir)].map((e) => e.name).sort();
  assert.ok(!names.some((name) => name.startsWith("ca-key")), String(names));
});

Deno.test("writeTlsFiles() refuses a client name that is not a safe file name", async () => {
  await using dir = await tempDir("fleet-tls-files-test-");
  for (const name of ["../x", "", "a b", "server"]) {
    await assert.rejects(
      writeTlsFiles(dir.path, { clients: [name] }),
      (error: unknown) => {
        assert.ok(error instanceof TypeError, String(error));
        assert.match(error.message, /Invalid client certificate name/);
        return true;
      },
    );
  }
});

Deno.test("writeTlsTestFiles() adds the bad certificates and a file that is not PEM", async () => {
  await using dir = await tempDir("fleet-tls-files-test-");
  const { bad } = await writeTlsTestFiles(dir.path);
  for (
    const file of [
      bad.expiredServer.certFile,
      bad.localhostOnlyServer.certFile,
      bad.strangerClient.certFile,
      bad.strangerCaFile,
    ]
  ) {
    assert.match(await Deno.readTextFile(file), /BEGIN CERTIFICATE/);
  }
  const notPem = await Deno.readFile(bad.notPemFile);
  assert.equal(notPem[0], 0x30); // a DER SEQUENCE
  assert.ok(!new TextDecoder().decode(notPem).includes("-----BEGIN"));
});
