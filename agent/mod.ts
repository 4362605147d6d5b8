/**
 * The device side of `@harmony/fleet`: the agent that answers NATS requests
 * on `device-commands.<device-id>.<verb>` and publishes a heartbeat on
 * `device-heartbeat.<device-id>`.
 *
 * Run it with `deno run -A agent/main.ts --config <file>`; or build your own
 * from the pieces exported here: {@linkcode loadAgentConfig} (the TOML
 * config, with `[runtime]` and `[exec]`), {@linkcode probePodmanSocket}
 * (the podman socket check),
 * {@linkcode CommandServer} (generic: dispatch by verb through the
 * contracts' registry, single replies and streams, error replies, drain),
 * the verb handlers of `agent/verbs/` ({@linkcode defaultHandlers}: `ping`,
 * `cancel`, `keepalive`, and the streaming {@linkcode logsHandler} and
 * {@linkcode execHandler}, which reach podman through a `PodmanClient` and
 * follow the `[exec]` policy; host exec runs the argv directly),
 * {@linkcode Heartbeat}, {@linkcode Logger} (one JSON line per event) and
 * {@linkcode runAgent} (all of it, with reconnects and graceful shutdown).
 *
 * @example
 * ```ts ignore
 * import { CommandServer, Heartbeat } from "@harmony/fleet/agent";
 * await using server = new CommandServer(nc, { deviceId: "d1", runtime: "disabled" });
 * await server.start();
 * await using heartbeat = new Heartbeat(nc, { deviceId: "d1", runtime: "disabled" });
 * heartbeat.start();
 * ```
 *
 * @module
 */
export * from "./command_log.ts";
export * from "./command_server.ts";
export * from "./config.ts";
export * from "./exit_codes.ts";
export * from "./handler.ts";
export * from "./heartbeat.ts";
export * from "./log.ts";
export * from "./verbs/mod.ts";
export * from "./run_agent.ts";
export * from "./runtime_probe.ts";
