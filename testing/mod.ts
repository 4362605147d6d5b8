/**
 * Test fixtures every folder's tests may use: the processes tests start
 * ({@linkcode NatsServerProcess} with its config and binary,
 * {@linkcode AgentProcess}, {@linkcode PodmanService} and the busybox
 * {@linkcode buildWorkloadImage workload image}), waiting for a condition
 * ({@linkcode waitFor}), temp dirs, free ports, process checks, NATS
 * permission asserts and an agent's JSON log. `e2e/` builds its `Stack` from
 * the same pieces and re-exports the public ones. Tests that need podman are
 * ignored with a one-line reason when it is missing
 * ({@linkcode ignoreWithoutPodman}), and fail instead when
 * `FLEET_REQUIRE_PODMAN=1`.
 *
 * May import `contracts/` and `nats/` only.
 *
 * @example
 * ```ts ignore
 * import { NatsServerProcess, TEST_ADMIN, waitFor } from "../testing/mod.ts";
 *
 * await using server = await NatsServerProcess.start({ config: { admin: TEST_ADMIN } });
 * await waitFor("the server's log", () => Deno.readTextFile(server.logPath));
 * ```
 *
 * @module
 */
export * from "./agent_log.ts";
export * from "./agent_process.ts";
export * from "./blackhole.ts";
export * from "./callout_process.ts";
export * from "./callout_server_config.ts";
export * from "./child_process.ts";
export * from "./free_port.ts";
export * from "./mock_oidc.ts";
export * from "./nats_permissions.ts";
export * from "./nats_server_binary.ts";
export * from "./nats_server_config.ts";
export * from "./nats_server_process.ts";
export * from "./nats_cluster.ts";
export * from "./podman_available.ts";
export * from "./podman_service.ts";
export * from "./podman_store.ts";
export * from "./processes.ts";
export * from "./temp_dir.ts";
export * from "./wait.ts";
export * from "./workload_image.ts";
export * from "./tls_certificates.ts";
export * from "./tls_files.ts";
