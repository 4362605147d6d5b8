// Run as a child process by e2e/logs_test.ts: follows a container's log
// through FleetCommandsClient (NATS_URL, NATS_USER, NATS_PASSWORD; args:
// <device-id> <container>), prints {"request_id"} once the first chunk
// came, and follows until it is killed. Not published.
import { connect } from "../nats/mod.ts";
import { FleetCommandsClient } from "../operator/mod.ts";

const [deviceId, container] = Deno.args;
const nc = await connect({
  servers: Deno.env.get("NATS_URL")!,
  user: Deno.env.get("NATS_USER"),
  pass: Deno.env.get("NATS_PASSWORD"),
});
const stream = new FleetCommandsClient(nc).logs(deviceId, {
  container,
  follow: true,
});
let first = true;
for await (const _chunk of stream) {
  if (first) console.log(JSON.stringify({ request_id: stream.requestId }));
  first = false;
}
