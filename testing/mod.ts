/**
 * Test fixtures every folder's tests may use. This module holds the podman
 * ones: {@linkcode PodmanService} (a real `podman system service` on a
 * socket and storage of its own, removed with everything it ran on
 * dispose), {@linkcode buildWorkloadImage} (a `FROM scratch` busybox image,
 * tagged by content hash, built locally) and the skip rule
 * {@linkcode ignoreWithoutPodman} (ignored with a one-line reason when
 * podman is missing; a failure when `FLEET_REQUIRE_PODMAN=1`).
 *
 * May import `contracts/` and `nats/` only.
 *
 * @example
 * ```ts ignore
 * import { buildWorkloadImage, ignoreWithoutPodman, PodmanService } from "@harmony/fleet/testing";
 *
 * Deno.test({
 *   name: "logs() reads a container's log",
 *   ignore: ignoreWithoutPodman(),
 *   fn: async () => {
 *     await using service = await PodmanService.start();
 *     const { image } = await buildWorkloadImage(service);
 *     await service.runContainer({ name: "web", image, cmd: ["sh", "-c", "echo hi"] });
 *   },
 * });
 * ```
 *
 * @module
 */
export * from "./podman_service.ts";
export * from "./workload_image.ts";
