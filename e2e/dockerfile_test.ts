// The top-level Dockerfile (the production agent image) cannot be built on
// the build machines (`deno compile` downloads its runtime, and no registry
// can be reached), so its invariants are checked here, statically: the Deno
// version is CI's, the permissions are the local agent image's (both say
// AGENT_PERMISSION_FLAGS), the user is not root, the config path is the one
// the e2e images and manifests use, no HEALTHCHECK, no package registry, and
// the build context holds every module the agent imports.
import assert from "node:assert/strict";
import {
  AGENT_IMAGE_CONFIG_PATH,
  AGENT_PERMISSION_FLAGS,
  IMAGE_USER,
} from "./images.ts";

const ROOT = new URL("../", import.meta.url);
const DOCKERFILE = await Deno.readTextFile(new URL("Dockerfile", ROOT));
const DOCKERIGNORE = await Deno.readTextFile(new URL(".dockerignore", ROOT));
const CI_RUN = await Deno.readTextFile(new URL(".ci/run", ROOT));

interface Instruction {
  keyword: string;
  args: string;
}

/** The instructions of a Dockerfile: continuation lines joined, comments dropped. */
function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = "";
  for (const line of text.split("\n")) {
    if (/^\s*#/.test(line)) continue;
    if (pending === "" && line.trim() === "") continue;
    if (line.endsWith("\\")) {
      pending += line.slice(0, -1) + " ";
      continue;
    }
    const full = (pending + line).trim();
    pending = "";
    const match = full.match(/^(\S+)\s*(.*)$/s)!;
    instructions.push({ keyword: match[1].toUpperCase(), args: match[2] });
  }
  return instructions;
}

/** The instructions of each stage (after each FROM), FROM included. */
function stages(instructions: Instruction[]): Instruction[][] {
  const result: Instruction[][] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === "FROM") result.push([]);
    result.at(-1)?.push(instruction);
  }
  return result;
}

const INSTRUCTIONS = parseDockerfile(DOCKERFILE);
const [BUILD, RUNTIME, ...MORE] = stages(INSTRUCTIONS);

function only(stage: Instruction[], keyword: string): string {
  const found = stage.filter((instruction) => instruction.keyword === keyword);
  assert.equal(found.length, 1, `one ${keyword} in the stage`);
  return found[0].args;
}

function compileArgs(): string[] {
  const run = BUILD.find((instruction) =>
    instruction.keyword === "RUN" && /\bdeno compile\b/.test(instruction.args)
  );
  assert.ok(run, "a RUN deno compile in the build stage");
  return run.args.trim().split(/\s+/);
}

Deno.test("Dockerfile has a build stage and a runtime stage", () => {
  assert.equal(MORE.length, 0);
  assert.ok(BUILD && RUNTIME);
});

Deno.test("Dockerfile pins the Deno version .ci/run installs", () => {
  const ci = CI_RUN.match(/^DENO_VERSION=(\S+)$/m)?.[1];
  assert.ok(ci, "DENO_VERSION=… in .ci/run");
  const arg = INSTRUCTIONS.find((instruction) =>
    instruction.keyword === "ARG" && /^DENO_VERSION=/.test(instruction.args)
  );
  assert.equal(arg?.args, `DENO_VERSION=${ci}`);
  assert.match(
    only(BUILD, "FROM"),
    /^denoland\/deno:[a-z-]*\$\{DENO_VERSION\} AS build$/,
  );
});

Deno.test("Dockerfile compiles agent/main.ts with exactly the local image's permissions, never -A", () => {
  const args = compileArgs();
  assert.deepEqual(args.slice(0, 2), ["deno", "compile"]);
  assert.equal(args.at(-1), "agent/main.ts");
  const permissions = args.filter((arg) => /^--allow-/.test(arg));
  assert.deepEqual(permissions.toSorted(), AGENT_PERMISSION_FLAGS.toSorted());
  assert.ok(
    !args.some((arg) => /^(-A|--allow-all|--allow-\w+-all)$/.test(arg)),
  );
  assert.ok(args.includes("--frozen"), "the lockfile is used as it is");
});

Deno.test("Dockerfile runs the compiled binary on distroless cc, as non-root, config at the documented path", () => {
  assert.match(
    only(RUNTIME, "FROM"),
    /^gcr\.io\/distroless\/cc-debian12(:|@|$)/,
  );
  const user = only(RUNTIME, "USER");
  assert.equal(user, IMAGE_USER);
  assert.ok(!/^(root|0)(:|$)/.test(user));
  const output = compileArgs()[compileArgs().indexOf("--output") + 1];
  const copy = only(RUNTIME, "COPY").split(/\s+/);
  assert.deepEqual(copy.slice(0, 2), ["--from=build", output]);
  const entrypoint = JSON.parse(only(RUNTIME, "ENTRYPOINT"));
  assert.deepEqual(entrypoint, [copy[2]]);
  assert.deepEqual(JSON.parse(only(RUNTIME, "CMD")), [
    "--config",
    AGENT_IMAGE_CONFIG_PATH,
  ]);
});

Deno.test("Dockerfile has no HEALTHCHECK (Kubernetes probes do that) and names no package registry", () => {
  assert.ok(
    !INSTRUCTIONS.some((instruction) => instruction.keyword === "HEALTHCHECK"),
  );
  for (const text of [DOCKERFILE, DOCKERIGNORE]) {
    assert.doesNotMatch(text, /https?:\/\//);
    assert.doesNotMatch(
      text,
      /npmjs|jsr\.io|deno\.land|debian\.org|registry\./i,
    );
  }
});

Deno.test("Dockerfile copies every local module the agent imports into the build stage", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", "agent/main.ts"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  const info = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    modules: { specifier: string }[];
  };
  const root = ROOT.href;
  const local = info.modules.map((module) => module.specifier)
    .filter((specifier) => specifier.startsWith(root))
    .map((specifier) => specifier.slice(root.length));
  assert.ok(local.includes("agent/main.ts"));
  const copied = BUILD.filter((instruction) => instruction.keyword === "COPY")
    .flatMap((instruction) => instruction.args.split(/\s+/).slice(0, -1));
  assert.ok(copied.includes("deno.json") && copied.includes("deno.lock"));
  const ignored = DOCKERIGNORE.split("\n").map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
  for (const path of local) {
    assert.ok(
      copied.some((source) => source.endsWith("/") && path.startsWith(source)),
      `${path} is copied`,
    );
    assert.ok(
      ignored.includes(`!${path.split("/")[0]}/`),
      `${path} is in the build context`,
    );
    assert.ok(!/_test\.ts$|\/_test_/.test(path), `${path} is not a test file`);
  }
});
