// A simulated fleet as its own process, for the bench: reads its options
// as JSON from argv[0] and the connection from NATS_URL, NATS_USER and
// NATS_PASSWORD, starts a FleetSim, prints one JSON line
// `{"ready": true, "offline": [...], "slow": [...]}` on stdout, and runs
// until stdin closes or SIGTERM; then drains and exits 0.
import { connect } from "../nats/mod.ts";
import { FleetSim, type FleetSimOptions } from "./fleet_sim.ts";

const options: FleetSimOptions = JSON.parse(Deno.args[0] ?? "{}");
const nc = await connect({
  servers: Deno.env.get("NATS_URL"),
  user: Deno.env.get("NATS_USER"),
  pass: Deno.env.get("NATS_PASSWORD"),
});
const sim = await FleetSim.start(nc, options);
console.log(JSON.stringify({
  ready: true,
  running: sim.running,
  offline: sim.offlineIds,
  slow: sim.slowIds,
}));
const stop = Promise.withResolvers<void>();
Deno.addSignalListener("SIGTERM", () => stop.resolve());
(async () => {
  for await (const _ of Deno.stdin.readable) { /* until it closes */ }
  stop.resolve();
})();
await stop.promise;
await sim[Symbol.asyncDispose]();
await nc.close();
Deno.exit(0);
