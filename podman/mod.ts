/**
 * A typed client of podman's libpod REST API over its unix socket:
 * {@linkcode PodmanClient} (ping, version, container inspect with a label
 * filter, logs, exec with exit code and kill), the 8-byte stream
 * demultiplexer ({@linkcode FrameDemuxer}) and the {@linkcode PodmanError}
 * classes, whose messages name the socket and the endpoint. Imports nothing
 * else of `@harmony/fleet`.
 *
 * @example
 * ```ts ignore
 * import { PodmanClient, PodmanNotFoundError } from "@harmony/fleet/podman";
 * await using podman = new PodmanClient("/run/podman/podman.sock");
 * try {
 *   await using run = await podman.exec("web", { cmd: ["true"], label: "harmony.fleet/device=d1" });
 *   console.log(await run.exitCode()); // 0
 * } catch (error) {
 *   if (error instanceof PodmanNotFoundError) console.error(error.message);
 * }
 * ```
 *
 * @module
 */
export * from "./client.ts";
export * from "./container_info.ts";
export * from "./errors.ts";
export * from "./exec.ts";
export * from "./exec_options.ts";
export * from "./frames.ts";
export * from "./logs_query.ts";
