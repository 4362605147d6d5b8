/**
 * The agent and nats-server images of the container backends, built once
 * per machine into the e2e podman store (content-hash tags) and once per
 * process checked. Private to `e2e/`.
 *
 * Working out an image's content hash means bundling the agent and hashing
 * the deno binary (seconds); so the references found are remembered in the
 * store under a fingerprint of what goes in — path, size and mtime of the
 * binaries and of every source file of the package — and a later process
 * with the same fingerprint only checks that the tags still exist.
 */
import { createHash } from "node:crypto";
import type { PodmanStore } from "../testing/podman_store.ts";
import {
  buildAgentImage,
  buildNatsImage,
  FORCE_REBUILD_ENV,
  type LocalImage,
} from "./images.ts";

/** The two images of a stack. */
export interface StackImages {
  agent: LocalImage;
  nats: LocalImage;
}

const provided = new Map<string, Promise<StackImages>>();

/** The package's root directory (a checkout: file URLs). */
const ROOT = new URL("..", import.meta.url);

/** What the images are made of, besides the binaries. */
const SOURCES = [
  "agent",
  "contracts",
  "nats",
  "podman",
  "deno.json",
  "deno.lock",
  "e2e/images.ts",
  "e2e/_rootfs_image.ts",
  "e2e/_shared_libraries.ts",
];

/**
 * The stack images in `store`: built when their tags are missing (one
 * process at a time, under the store's lock), else found. Memoised per
 * store for the life of the process; a failure is not remembered.
 */
export function provideStackImages(
  store: PodmanStore,
  options: { natsServer: string },
): Promise<StackImages> {
  const key = `${store.podmanArgs.join(" ")}\n${options.natsServer}`;
  let images = provided.get(key);
  if (images === undefined) {
    images = store.withLock("images", () => provide(store, options));
    provided.set(key, images);
    images.catch(() => provided.delete(key));
  }
  return images;
}

async function provide(
  store: PodmanStore,
  options: { natsServer: string },
): Promise<StackImages> {
  const force = Deno.env.get(FORCE_REBUILD_ENV) === "1";
  const memoPath = `${store.dir}/stack-images.json`;
  const fingerprint = ROOT.protocol === "file:"
    ? await fingerprintOf([Deno.execPath(), options.natsServer])
    : undefined;
  if (!force && fingerprint !== undefined) {
    const memo = await readMemo(memoPath);
    const known = memo?.fingerprint === fingerprint ? memo.images : undefined;
    if (known && await exist(store, known)) {
      return {
        agent: { ...known.agent, built: false, ms: 0 },
        nats: { ...known.nats, built: false, ms: 0 },
      };
    }
  }
  const images = {
    agent: await buildAgentImage(store),
    nats: await buildNatsImage(store, { natsServer: options.natsServer }),
  };
  if (fingerprint !== undefined) {
    await Deno.writeTextFile(
      memoPath,
      JSON.stringify({ fingerprint, images }),
    );
  }
  return images;
}

interface Memo {
  fingerprint: string;
  images: StackImages;
}

async function readMemo(path: string): Promise<Memo | undefined> {
  try {
    return JSON.parse(await Deno.readTextFile(path)) as Memo;
  } catch {
    return undefined;
  }
}

async function exist(
  store: PodmanStore,
  images: StackImages,
): Promise<boolean> {
  // One podman call for both: it fails when either is missing.
  const run = await store.podman(
    [
      "image",
      "inspect",
      "--format",
      "{{.Id}}",
      images.agent.reference,
      images.nats.reference,
    ],
    { check: false },
  );
  return run.code === 0;
}

/** SHA-256 over path, size and mtime of `binaries` and of every source file. */
async function fingerprintOf(binaries: string[]): Promise<string> {
  const hash = createHash("sha256");
  const add = async (path: string) => {
    const info = await Deno.stat(path);
    hash.update(`${path}\0${info.size}\0${info.mtime?.getTime()}\n`);
  };
  for (const binary of binaries) await add(binary);
  const walk = async (path: string): Promise<void> => {
    const info = await Deno.stat(path).catch(() => undefined);
    if (info?.isFile) return await add(path);
    if (!info?.isDirectory) return;
    const names = [];
    for await (const entry of Deno.readDir(path)) names.push(entry.name);
    for (const name of names.sort()) await walk(`${path}/${name}`);
  };
  const root = decodeURIComponent(ROOT.pathname);
  for (const source of SOURCES) await walk(`${root}${source}`);
  return hash.digest("hex");
}
