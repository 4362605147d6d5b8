import assert from "node:assert/strict";
import {
  buildRootfsImage,
  ImageBuildError,
  type ImagePodman,
  renderContainerfile,
  rootfsImageReference,
  type RootfsImageSpec,
} from "./_rootfs_image.ts";
import { tempDir } from "../testing/mod.ts";

const encoder = new TextEncoder();

function spec(overrides: Partial<RootfsImageSpec> = {}): RootfsImageSpec {
  return {
    what: "the test image",
    repository: "localhost/fleet-rootfs-test",
    files: [{ path: "/bin/tool", bytes: encoder.encode("v1") }],
    dirs: [{ path: "/tmp", mode: 0o1777 }],
    instructions: ['ENTRYPOINT ["/bin/tool"]'],
    ...overrides,
  };
}

/** A podman that must not be called. */
const NO_PODMAN: ImagePodman = {
  dir: "/nonexistent",
  podman: () => Promise.reject(new Error("podman must not be called")),
};

Deno.test("renderContainerfile() copies the rootfs onto scratch, then the instructions", () => {
  assert.equal(
    renderContainerfile(spec()),
    'FROM scratch\nCOPY rootfs/ /\nENTRYPOINT ["/bin/tool"]\n',
  );
});

Deno.test("rootfsImageReference() is <repository>:e2e-<16 hex>, the same for the same content", async () => {
  const reference = await rootfsImageReference(spec());
  assert.match(reference, /^localhost\/fleet-rootfs-test:e2e-[0-9a-f]{16}$/);
  assert.equal(await rootfsImageReference(spec()), reference);
});

Deno.test("rootfsImageReference() changes with a file's content, mode or path, a dir, or an instruction", async () => {
  const base = await rootfsImageReference(spec());
  const variants: Partial<RootfsImageSpec>[] = [
    { files: [{ path: "/bin/tool", bytes: encoder.encode("v2") }] },
    {
      files: [{ path: "/bin/tool", bytes: encoder.encode("v1"), mode: 0o755 }],
    },
    { files: [{ path: "/bin/tool2", bytes: encoder.encode("v1") }] },
    { dirs: [{ path: "/tmp", mode: 0o755 }] },
    { instructions: ['ENTRYPOINT ["/bin/tool", "-v"]'] },
  ];
  const references = await Promise.all(
    variants.map((variant) => rootfsImageReference(spec(variant))),
  );
  assert.equal(new Set([base, ...references]).size, variants.length + 1);
});

Deno.test("rootfsImageReference() hashes a source file's content", async () => {
  await using dir = await tempDir("fleet-rootfs-test-");
  const source = `${dir.path}/tool`;
  await Deno.writeTextFile(source, "v1");
  const fromFile = await rootfsImageReference(
    spec({ files: [{ path: "/bin/tool", source, mode: 0o644 }] }),
  );
  assert.equal(fromFile, await rootfsImageReference(spec()));
  await Deno.writeTextFile(source, "v2");
  assert.notEqual(
    await rootfsImageReference(
      spec({ files: [{ path: "/bin/tool", source, mode: 0o644 }] }),
    ),
    fromFile,
  );
});

Deno.test("buildRootfsImage() with a source that cannot be read throws an ImageBuildError naming it", async () => {
  await assert.rejects(
    buildRootfsImage(
      NO_PODMAN,
      spec({ files: [{ path: "/bin/tool", source: "/nonexistent/tool" }] }),
    ),
    (error: unknown) => {
      assert.ok(error instanceof ImageBuildError);
      assert.equal(error.repository, "localhost/fleet-rootfs-test");
      assert.match(
        error.message,
        /^Cannot build the test image: cannot read "\/nonexistent\/tool" \(for "\/bin\/tool"\)/,
      );
      return true;
    },
  );
});

Deno.test("buildRootfsImage() reports a failed podman build with its output", async () => {
  await using dir = await tempDir("fleet-rootfs-test-");
  const calls: string[][] = [];
  const podman: ImagePodman = {
    dir: dir.path,
    podman: (args) => {
      calls.push([...args]);
      const code = args[0] === "build" ? 125 : 1;
      return Promise.resolve({
        code,
        stdout: new Uint8Array(),
        stderr: encoder.encode(`error: ${args[0]} failed`),
      });
    },
  };
  await assert.rejects(buildRootfsImage(podman, spec()), (error: unknown) => {
    assert.ok(error instanceof ImageBuildError);
    assert.match(
      error.message,
      /"podman build" exited with code 125: error: build failed/,
    );
    return true;
  });
  assert.deepEqual(calls.map((args) => args[0]), ["image", "build"]);
  assert.deepEqual([...Deno.readDirSync(dir.path)], [], "context removed");
});
