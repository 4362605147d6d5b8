import assert from "node:assert/strict";
import { errors } from "@nats-io/nats-core";
import { connect } from "../nats/mod.ts";
import { FleetCommandsClient } from "../operator/mod.ts";
import { runCli } from "../operator/mod.ts";
import { Stack } from "./stack.ts";

Deno.test("Stack.bringUp({ tls: true }) serves mutual TLS, TLS first: agents and operator use their certificates", async () => {
  await using stack = await Stack.bringUp({ devices: 2, tls: true });
  assert.match(stack.natsUrl, /^tls:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(stack.tls, true);
  const client = new FleetCommandsClient(stack.operatorClient);
  for (const id of stack.deviceIds) {
    assert.equal((await client.ping(id)).device_id, id);
  }
  const config = await Deno.readTextFile(`${stack.dir}/nats-server.conf`);
  assert.match(config, /^ {2}verify: true$/m);
  assert.match(config, /^ {2}handshake_first: true$/m);
  const operator = stack.operatorTls()!;
  assert.deepEqual(operator, {
    caFile: `${stack.dir}/tls/ca.pem`,
    certFile: `${stack.dir}/tls/admin.pem`,
    keyFile: `${stack.dir}/tls/admin-key.pem`,
    handshakeFirst: true,
  });
  const [a] = stack.deviceIds;
  assert.deepEqual(stack.deviceTls(a), {
    ...operator,
    certFile: `${stack.dir}/tls/${a}.pem`,
    keyFile: `${stack.dir}/tls/${a}-key.pem`,
  });
  const agentConfig = await Deno.readTextFile(stack.agent(a).configPath);
  assert.ok(
    agentConfig.includes(`tls_cert_file = "${stack.dir}/tls/${a}.pem"`),
  );
  assert.match(agentConfig, /^tls_handshake_first = true$/m);
});

Deno.test("Stack.bringUp({ tls: true }) refuses a client without a certificate, and one that does not start with TLS", async () => {
  await using stack = await Stack.bringUp({ devices: 0, tls: true });
  const { user, password } = stack.adminCredentials;
  const { caFile } = stack.operatorTls()!;
  for (
    const [what, tls, expected] of [
      [
        "no client certificate",
        { caFile, handshakeFirst: true },
        /the server requires a client certificate/,
      ],
      ["TLS not first", { caFile }, /a server with TLS handshake_first/],
    ] as const
  ) {
    await assert.rejects(
      connect({
        servers: stack.natsUrl,
        user,
        pass: password,
        tls,
        reconnect: false,
      }),
      (error) => {
        assert.ok(error instanceof errors.ConnectionError, `${what}: ${error}`);
        assert.match(error.message, expected, what);
        return true;
      },
    );
  }
});

Deno.test("Stack.bringUp({ tls: true }) names a device by its user and password, not by its certificate", async () => {
  await using stack = await Stack.bringUp({ devices: 2, tls: true });
  const [a, b] = stack.deviceIds;
  const tlsOfA = stack.deviceTls(a);
  // A's certificate with B's user but A's password: refused.
  await assert.rejects(
    connect({
      servers: stack.natsUrl,
      user: stack.deviceCredentials(b).user,
      pass: stack.deviceCredentials(a).password,
      tls: tlsOfA,
      reconnect: false,
    }),
    (error) => {
      assert.ok(error instanceof errors.AuthorizationError, String(error));
      return true;
    },
  );
  // A's certificate with B's user and password: B. The certificate proves
  // a member of the fleet; the password says which device.
  const nc = await connect({
    servers: stack.natsUrl,
    user: stack.deviceCredentials(b).user,
    pass: stack.deviceCredentials(b).password,
    tls: tlsOfA,
  });
  await nc.close();
});

Deno.test("Stack.debugInfo() with tls: true prints a fleet ping command that works as pasted", async () => {
  await using stack = await Stack.bringUp({ devices: 1, tls: true });
  const line = stack.debugInfo().split("\n").find((l) =>
    l.startsWith("[e2e] ping: ")
  )!;
  assert.match(line, / --tlsca \S+ --tlscert \S+ --tlskey \S+ --tlsfirst$/);
  // `deno run -A <mod.ts> ping <id> -s … --tlsfirst`: no quoting needed here.
  const args = line.slice(line.indexOf(" ping ") + 1).split(" ");
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    stdout: { write: (text) => void (stdout += text) },
    stderr: { write: (text) => void (stderr += text) },
    env: {},
  });
  assert.equal(code, 0, stderr);
  assert.match(stdout, new RegExp(`^${stack.deviceIds[0]} +ok `, "m"));
});
