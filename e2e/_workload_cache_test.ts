import assert from "node:assert/strict";
import {
  exists,
  ignoreWithoutPodman,
  PodmanService,
  tempDir,
} from "../testing/mod.ts";
import {
  provideWorkloadImage,
  workloadArchivePath,
} from "./_workload_cache.ts";

Deno.test({
  name:
    "provideWorkloadImage() builds once and saves the archive; later services load it; a bad archive is rebuilt",
  ignore: ignoreWithoutPodman(),
  fn: async () => {
    await using cache = await tempDir("fleet-workload-cache-test-");
    const decoder = new TextDecoder();
    let image: string;
    {
      await using service = await PodmanService.start();
      const first = await provideWorkloadImage(service, {
        cacheDir: cache.path,
      });
      assert.equal(first.source, "built");
      image = first.image;
      assert.match(image, /^localhost\/fleet-workload:[0-9a-f]{16}$/);
      assert.ok(exists(workloadArchivePath(cache.path, image)));
      assert.deepEqual(
        [...Deno.readDirSync(`${cache.path}/workload-images`)].map((e) =>
          e.name
        ),
        [`${image.split(":")[1]}.oci.tar`],
      );
    }
    await using service = await PodmanService.start();
    const second = await provideWorkloadImage(service, {
      cacheDir: cache.path,
    });
    assert.deepEqual([second.image, second.source], [image, "cache"]);
    const run = await service.podman([
      "run",
      "--rm",
      image,
      "sh",
      "-c",
      "echo works",
    ]);
    assert.equal(decoder.decode(run.stdout), "works\n");

    await service.podman(["rmi", image]);
    await Deno.writeTextFile(
      workloadArchivePath(cache.path, image),
      "not an archive",
    );
    const third = await provideWorkloadImage(service, {
      cacheDir: cache.path,
    });
    assert.deepEqual([third.image, third.source], [image, "built"]);
    assert.ok(
      Deno.statSync(workloadArchivePath(cache.path, image)).size > 100_000,
    );
  },
});
