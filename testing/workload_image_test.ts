import assert from "node:assert/strict";
import { ignoreWithoutPodman, PodmanService } from "./podman_service.ts";
import {
  buildWorkloadImage,
  WorkloadImageError,
  workloadImageTag,
} from "./workload_image.ts";

const ignore = ignoreWithoutPodman();
const decoder = new TextDecoder();

Deno.test("workloadImageTag() names the image by the hash of what goes into it", () => {
  const a = workloadImageTag(Uint8Array.of(1, 2, 3));
  assert.match(a, /^localhost\/fleet-workload:[0-9a-f]{16}$/);
  assert.equal(workloadImageTag(Uint8Array.of(1, 2, 3)), a);
  assert.notEqual(workloadImageTag(Uint8Array.of(1, 2, 4)), a);
});

Deno.test({
  name:
    "buildWorkloadImage() builds a busybox image that runs sh, and skips the build when it is present",
  ignore,
  fn: async () => {
    await using service = await PodmanService.start();
    const first = await buildWorkloadImage(service);
    assert.equal(first.built, true);
    assert.equal(
      first.image,
      workloadImageTag(await Deno.readFile("/bin/busybox")),
    );
    const { stdout } = await service.podman([
      "run",
      "--rm",
      first.image,
      "sh",
      "-c",
      "echo hello from $(basename $0) in $(pwd); ls /bin | grep -c .; touch /tmp/x",
    ]);
    const [line, count] = decoder.decode(stdout).trim().split("\n");
    assert.equal(line, "hello from sh in /");
    assert.ok(Number(count) > 100, `${count} applets in /bin`);
    const second = await buildWorkloadImage(service);
    assert.deepEqual({ ...second, ms: 0 }, { ...first, built: false, ms: 0 });
    const images = await service.podman([
      "images",
      "--format",
      "{{.Repository}}:{{.Tag}}",
    ]);
    assert.equal(decoder.decode(images.stdout), `${first.image}\n`);
  },
});

Deno.test({
  name: "buildWorkloadImage() without busybox says what to install",
  ignore,
  fn: async () => {
    await using service = await PodmanService.start();
    await assert.rejects(
      buildWorkloadImage(service, { busybox: "/nonexistent/busybox" }),
      (error) => {
        assert.ok(error instanceof WorkloadImageError);
        assert.equal(error.name, "WorkloadImageError");
        assert.match(
          error.message,
          /^Cannot build the workload image: cannot read busybox "\/nonexistent\/busybox" \(install busybox-static\): /,
        );
        return true;
      },
    );
  },
});
