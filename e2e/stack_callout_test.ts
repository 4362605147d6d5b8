import assert from "node:assert/strict";
import { parse as parseToml } from "smol-toml";
import { errors as natsErrors } from "@nats-io/nats-core";
import { connect } from "../nats/mod.ts";
import { FleetCommandsClient, runCli } from "../operator/mod.ts";
import { Stack, StackBackendError } from "./stack.ts";
import {
  exists,
  findNatsServer,
  processAlive,
  processesMentioning,
  waitFor,
  waitForAgentEvent,
} from "../testing/mod.ts";

Deno.test('Stack.bringUp({ auth: "callout" }) gives each agent a token file, no password, and the operator a token', async () => {
  await using stack = await Stack.bringUp({ devices: 2, auth: "callout" });
  assert.equal(stack.auth, "callout");
  const [a, b] = stack.deviceIds;
  for (const id of [a, b]) {
    const config = parseToml(
      await Deno.readTextFile(stack.agent(id).configPath),
    ) as { nats: Record<string, unknown> };
    assert.deepEqual(Object.keys(config.nats).sort(), [
      "servers",
      "token_file",
    ]);
    assert.equal(config.nats.token_file, stack.deviceTokenFile(id));
    const info = await Deno.stat(stack.deviceTokenFile(id));
    assert.equal(info.mode! & 0o777, 0o600);
  }
  // The callout logged every login: both agents as devices, the operator.
  const events = await stack.callout.events();
  const allowed = events.filter((e) => e.event === "auth_allowed");
  for (const id of [a, b]) {
    assert.ok(
      allowed.some((e) => e.subject === `device-${id}` && e.role === "device"),
      JSON.stringify(allowed),
    );
  }
  assert.ok(allowed.some((e) => e.role === "operator"));
  const client = new FleetCommandsClient(stack.operatorClient);
  assert.deepEqual(
    (await Promise.all([a, b].map((id) => client.ping(id)))).map((r) =>
      r.device_id
    ),
    [a, b],
  );
  assert.throws(() => stack.deviceCredentials(a), (error) => {
    assert.ok(error instanceof TypeError);
    assert.match(
      error.message,
      /runs with auth "callout".*deviceConnectionOptions\(\)/,
    );
    return true;
  });
});

Deno.test("Stack.deviceConnectionOptions() on a callout stack logs in as that device only", async () => {
  await using stack = await Stack.bringUp({ devices: 1, auth: "callout" });
  const [id] = stack.deviceIds;
  const options = await stack.deviceConnectionOptions(id);
  assert.equal(typeof options.token, "string");
  assert.equal(options.user, undefined);
  const nc = await connect(options);
  try {
    // A device may publish its heartbeat, not command another device.
    nc.publish(`device-heartbeat.${id}`, "beat");
    await nc.flush();
    await assert.rejects(
      nc.request(`device-commands.${id}.ping`, "", { timeout: 2_000 }),
      (error) => error instanceof Error,
    );
  } finally {
    await nc.close();
  }
  // An expired token of that device is refused.
  const expired = await stack.oidcIssuer.mint({
    subject: `device-${id}`,
    lifetimeS: -120,
  });
  await assert.rejects(
    connect({ servers: stack.natsUrl, token: expired, reconnect: false }),
    natsErrors.AuthorizationError,
  );
});

Deno.test('Stack.bringUp({ auth: "callout" }) agent picks up a rotated token file at its next reconnect', async () => {
  await using stack = await Stack.bringUp({ devices: 1, auth: "callout" });
  const [id] = stack.deviceIds;
  const agent = stack.agent(id);
  // A refresher writes a new token, signed by a new key, expiring at
  // another time than the first (the callout logs the expiry it grants).
  await stack.oidcIssuer.rotateKey();
  const token = await stack.oidcIssuer.mint({
    subject: `device-${id}`,
    lifetimeS: 1800,
  });
  const { exp } = JSON.parse(
    atob(token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/")),
  );
  const path = stack.deviceTokenFile(id);
  await Deno.writeTextFile(`${path}.new`, `${token}\n`, { mode: 0o600 });
  await Deno.rename(`${path}.new`, path);
  // nats-server restarts (same port, same config): the agent reconnects and
  // logs in through the callout with the token the file holds by then.
  const logins = async () =>
    (await stack.callout.events()).filter((e) =>
      e.event === "auth_allowed" && e.subject === `device-${id}`
    );
  assert.equal((await logins()).length, 1);
  await stack.natsServer.kill();
  const restarted = new Deno.Command(await findNatsServer(), {
    args: ["-c", stack.natsServer.configPath],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    await waitFor(
      "the agent's second login",
      async () => (await logins()).length === 2,
    );
    const [first, second] = await logins();
    assert.equal(second.expires_at, new Date(exp * 1000).toISOString());
    assert.notEqual(first.expires_at, second.expires_at);
    await waitForAgentEvent(agent, "nats_reconnected");
    const client = new FleetCommandsClient(stack.operatorClient);
    const reply = await waitFor(
      "a ping after the restart",
      () => client.ping(id).catch(() => undefined),
    );
    assert.equal(reply.device_id, id);
    const refused = (await stack.callout.events()).filter((e) =>
      e.event === "auth_refused"
    );
    assert.deepEqual(refused, []);
  } finally {
    restarted.kill("SIGKILL");
    await restarted.status;
  }
});

Deno.test("Stack.debugInfo() on a callout stack prints the issuer and an operator token that works as pasted", async () => {
  await using stack = await Stack.bringUp({ devices: 1, auth: "callout" });
  const text = stack.debugInfo();
  assert.ok(
    text.includes(`[e2e] auth: callout; OIDC issuer ${stack.oidcIssuer.url}`),
    text,
  );
  assert.match(
    text,
    /\[e2e\] operator token \(sub fleet-ops, expires \d{4}-\d\d-\d\dT[\d:.]+Z\): ey/,
  );
  const line = text.split("\n").find((l) =>
    l.startsWith("[e2e] ping as operator: ")
  )!;
  const args = line.slice(line.indexOf("mod.ts ping ") + "mod.ts ".length)
    .split(" ");
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

Deno.test("Stack[Symbol.asyncDispose]() of a callout stack stops the callout too and leaves nothing", async () => {
  const stack = await Stack.bringUp({ devices: 1, auth: "callout" });
  const pids = [
    stack.natsServer.pid,
    stack.callout.pid,
    stack.agent(stack.deviceIds[0]).pid,
  ];
  assert.ok(pids.every(processAlive));
  await Promise.all([
    stack[Symbol.asyncDispose](),
    stack[Symbol.asyncDispose](),
  ]);
  assert.deepEqual(pids.filter(processAlive), []);
  assert.deepEqual(processesMentioning(stack.namespace), []);
  assert.equal(exists(stack.dir), false);
});

Deno.test('Stack.bringUp() refuses auth "callout" on k3d, with tls, and an unknown auth', async () => {
  for (const backend of ["k3d"] as const) {
    await assert.rejects(
      Stack.bringUp({ backend, auth: "callout" }),
      (error) => {
        assert.ok(error instanceof StackBackendError, String(error));
        assert.equal(error.backend, backend);
        assert.equal(
          error.message,
          `Cannot bring up an e2e stack with auth "callout" on backend "${backend}": only the "local" and "podman" backends run the auth callout yet`,
        );
        return true;
      },
    );
  }
  await assert.rejects(
    Stack.bringUp({ auth: "callout", tls: true }),
    (error) => {
      assert.ok(error instanceof TypeError, String(error));
      assert.match(error.message, /auth "callout" and tls: true/);
      return true;
    },
  );
  await assert.rejects(
    // @ts-expect-error: not a StackAuth
    Stack.bringUp({ auth: "oidc" }),
    (error) => {
      assert.ok(error instanceof RangeError, String(error));
      assert.equal(
        error.message,
        'Cannot bring up an e2e stack with auth "oidc": expected "userpass", "callout"',
      );
      return true;
    },
  );
  const userpass = await Stack.bringUp({ devices: 1 });
  try {
    assert.equal(userpass.auth, "userpass");
    assert.throws(() => userpass.oidcIssuer, TypeError);
    assert.throws(
      () => userpass.deviceTokenFile(userpass.deviceIds[0]),
      TypeError,
    );
  } finally {
    await userpass[Symbol.asyncDispose]();
  }
});
