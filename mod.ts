/**
 * `@harmony/fleet`: send commands to a fleet of edge devices over NATS
 * request/reply. This entry point is the public surface for services (the
 * wire contracts and the typed {@linkcode FleetCommandsClient}); run as a
 * program, it is the `fleet` CLI.
 *
 * @example
 * ```ts ignore
 * import { FleetCommandsClient } from "@harmony/fleet";
 * import { connect } from "@harmony/fleet/nats";
 *
 * const nc = await connect({ servers: "nats://127.0.0.1:4222" });
 * const client = new FleetCommandsClient(nc, { timeoutMs: 5000 });
 * const reply = await client.ping("vm-device-00");
 * console.log(reply.agent_version, reply.uptime_s);
 * await nc.close();
 * ```
 *
 * @example
 * ```sh
 * source fleet-up.env   # written by `deno task up`: NATS_URL, NATS_USER, NATS_PASSWORD, FLEET_DEVICES
 * deno run -A mod.ts ping $FLEET_DEVICES
 * ```
 *
 * @module
 */
export * from "./contracts/mod.ts";
export * from "./operator/mod.ts";
import { runCli } from "./operator/mod.ts";

if (import.meta.main) Deno.exit(await runCli(Deno.args));
