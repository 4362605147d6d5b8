// A trivial nats-core responder, the ceiling the agent is measured against
// in `deno task bench`: it answers every request on
// `device-commands.<device-id>.ping` with one fixed, valid ping reply, and
// does nothing else (no header parsing, no checks, no log). Run as its own
// process, as the agent is:
//
//   NATS_URL=… NATS_USER=… NATS_PASSWORD=… deno run -A bench/_raw_responder.ts <device-id>
//
// Prints "ready" on stdout once subscribed; exits on SIGTERM.
import { connect } from "../nats/mod.ts";
import { deviceCommandSubject, encodeJson, Verb } from "../contracts/mod.ts";

/** Answers pings for `deviceId` until SIGTERM. */
async function main(deviceId: string): Promise<void> {
  const nc = await connect({
    servers: Deno.env.get("NATS_URL"),
    user: Deno.env.get("NATS_USER"),
    pass: Deno.env.get("NATS_PASSWORD"),
  });
  const reply = encodeJson({
    device_id: deviceId,
    agent_version: "raw",
    uptime_s: 0,
    runtime: "disabled",
  });
  nc.subscribe(deviceCommandSubject(deviceId, Verb.Ping), {
    callback: (_error, msg) => {
      msg.respond(reply);
    },
  });
  await nc.flush();
  console.log("ready");
  Deno.addSignalListener("SIGTERM", async () => {
    await nc.close();
    Deno.exit(0);
  });
}

if (import.meta.main) await main(Deno.args[0]);
