import assert from "node:assert/strict";
import { Stack } from "./stack.ts";
import { tempDir } from "../testing/mod.ts";

const PACKAGE_DIR = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** A service that pings one device through the package, as the README shows. */
const PING_SERVICE =
  `import { DeviceOfflineError, FleetCommandsClient } from "@harmony/fleet";
import { connect } from "@harmony/fleet/nats";

const nc = await connect({
  servers: Deno.env.get("NATS_URL"),
  user: Deno.env.get("NATS_USER"),
  pass: Deno.env.get("NATS_PASSWORD"),
});
try {
  const reply = await new FleetCommandsClient(nc).ping(Deno.args[0]);
  console.log(JSON.stringify(reply));
} catch (error) {
  if (error instanceof DeviceOfflineError) console.log("offline");
  else throw error;
} finally {
  await nc.close();
}
`;

/** A test helper of the consumer's own, on the harness. */
const HARNESS_USER =
  `import { Stack, type StackOptions } from "@harmony/fleet/e2e";
import { FleetCommandsClient } from "@harmony/fleet/operator";
import { isDeviceId, type PingReply } from "@harmony/fleet/contracts";

export async function pingFirstDevice(options: StackOptions): Promise<PingReply> {
  await using stack = await Stack.bringUp(options);
  if (!isDeviceId(stack.deviceIds[0])) throw new Error("no device");
  return await new FleetCommandsClient(stack.operatorClient).ping(stack.deviceIds[0]);
}
`;

async function deno(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args,
    cwd,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("@harmony/fleet linked into another Deno project type-checks and pings a stack", async () => {
  await using project = await tempDir("fleet-consumer-test-");
  // As the README says: `deno link <checkout>` in the consumer's project.
  const link = await deno(project.path, ["link", PACKAGE_DIR]);
  assert.equal(link.code, 0, link.stderr);
  const config = JSON.parse(
    await Deno.readTextFile(`${project.path}/deno.json`),
  );
  assert.equal(config.links?.length, 1, JSON.stringify(config));
  await Deno.writeTextFile(`${project.path}/ping.ts`, PING_SERVICE);
  await Deno.writeTextFile(`${project.path}/harness.ts`, HARNESS_USER);

  const check = await deno(project.path, ["check", "ping.ts", "harness.ts"]);
  assert.equal(check.code, 0, check.stderr);

  await using stack = await Stack.bringUp({ keep: false });
  const [deviceId] = stack.deviceIds;
  const { user, password } = stack.adminCredentials;
  const run = await deno(project.path, ["run", "-A", "ping.ts", deviceId], {
    NATS_URL: stack.natsUrl,
    NATS_USER: user,
    NATS_PASSWORD: password,
  });
  assert.equal(run.code, 0, run.stderr);
  const reply = JSON.parse(run.stdout);
  assert.equal(reply.device_id, deviceId);
  assert.equal(reply.runtime, "disabled");
});
