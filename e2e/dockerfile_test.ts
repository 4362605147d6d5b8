// The top-level Dockerfile (the production agent and callout images) cannot
// be built on the build machines (`deno compile` downloads its runtime, and
// no registry can be reached), so its invariants are checked here,
// statically: the Deno version is CI's, the permissions are the local
// images' (both say AGENT_PERMISSION_FLAGS / CALLOUT_PERMISSION_FLAGS), the
// user is not root, the config paths are the ones the e2e images and
// manifests use, no HEALTHCHECK, no package registry, and the build context
// holds every module the agent and the callout import.
import assert from "node:assert/strict";
import {
  AGENT_IMAGE_CONFIG_PATH,
  AGENT_PERMISSION_FLAGS,
  CALLOUT_IMAGE_CONFIG_PATH,
  CALLOUT_PERMISSION_FLAGS,
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
const STAGES = stages(INSTRUCTIONS);

/** The stage named `name` (`FROM … AS <name>`). */
function stage(name: string): Instruction[] {
  const found = STAGES.filter((instructions) =>
    new RegExp(`\\sAS\\s+${name}$`, "i").test(instructions[0].args)
  );
  assert.equal(found.length, 1, `one stage named ${name}`);
  return found[0];
}

/** What one image is made of: its build stage, runtime stage and contract. */
interface Target {
  build: Instruction[];
  runtime: Instruction[];
  entry: string;
  permissions: readonly string[];
  configPath: string;
}

const TARGETS: Record<"agent" | "callout", Target> = {
  agent: {
    build: stage("build"),
    runtime: stage("agent"),
    entry: "agent/main.ts",
    permissions: AGENT_PERMISSION_FLAGS,
    configPath: AGENT_IMAGE_CONFIG_PATH,
  },
  callout: {
    build: stage("build-callout"),
    runtime: stage("callout"),
    entry: "callout/main.ts",
    permissions: CALLOUT_PERMISSION_FLAGS,
    configPath: CALLOUT_IMAGE_CONFIG_PATH,
  },
};

function only(stage: Instruction[], keyword: string): string {
  const found = stage.filter((instruction) => instruction.keyword === keyword);
  assert.equal(found.length, 1, `one ${keyword} in the stage`);
  return found[0].args;
}

function compileArgs(build: Instruction[]): string[] {
  const run = build.find((instruction) =>
    instruction.keyword === "RUN" && /\bdeno compile\b/.test(instruction.args)
  );
  assert.ok(run, "a RUN deno compile in the build stage");
  return run.args.trim().split(/\s+/);
}

Deno.test("Dockerfile has a build and a runtime stage for the agent and for the callout, the agent's last (the default target)", () => {
  assert.equal(STAGES.length, 4);
  assert.equal(STAGES.at(-1), TARGETS.agent.runtime);
});

Deno.test("Dockerfile pins the Deno version .ci/run installs", () => {
  const ci = CI_RUN.match(/^DENO_VERSION=(\S+)$/m)?.[1];
  assert.ok(ci, "DENO_VERSION=… in .ci/run");
  const arg = INSTRUCTIONS.find((instruction) =>
    instruction.keyword === "ARG" && /^DENO_VERSION=/.test(instruction.args)
  );
  assert.equal(arg?.args, `DENO_VERSION=${ci}`);
  for (const [name, { build }] of Object.entries(TARGETS)) {
    assert.match(
      only(build, "FROM"),
      /^denoland\/deno:[a-z-]*\$\{DENO_VERSION\} AS build(-callout)?$/,
      name,
    );
  }
});

for (const [name, target] of Object.entries(TARGETS)) {
  Deno.test(`Dockerfile compiles ${target.entry} with exactly the local ${name} image's permissions, never -A`, () => {
    const args = compileArgs(target.build);
    assert.deepEqual(args.slice(0, 2), ["deno", "compile"]);
    assert.equal(args.at(-1), target.entry);
    const permissions = args.filter((arg) => /^--allow-/.test(arg));
    assert.deepEqual(permissions.toSorted(), target.permissions.toSorted());
    assert.ok(
      !args.some((arg) => /^(-A|--allow-all|--allow-\w+-all)$/.test(arg)),
    );
    assert.ok(args.includes("--frozen"), "the lockfile is used as it is");
  });

  Deno.test(`Dockerfile runs the compiled ${name} on distroless cc, as non-root, config at the documented path`, () => {
    const { build, runtime } = target;
    assert.match(
      only(runtime, "FROM"),
      /^gcr\.io\/distroless\/cc-debian12(:|@|\s|$)/,
    );
    const user = only(runtime, "USER");
    assert.equal(user, IMAGE_USER);
    assert.ok(!/^(root|0)(:|$)/.test(user));
    const output =
      compileArgs(build)[compileArgs(build).indexOf("--output") + 1];
    const buildName = only(build, "FROM").split(/\s+/).at(-1);
    const copy = only(runtime, "COPY").split(/\s+/);
    assert.deepEqual(copy.slice(0, 2), [`--from=${buildName}`, output]);
    const entrypoint = JSON.parse(only(runtime, "ENTRYPOINT"));
    assert.deepEqual(entrypoint, [copy[2]]);
    assert.deepEqual(JSON.parse(only(runtime, "CMD")), [
      "--config",
      target.configPath,
    ]);
  });
}

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

for (const [name, target] of Object.entries(TARGETS)) {
  Deno.test(`Dockerfile copies every local module the ${name} imports into its build stage`, async () => {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", target.entry],
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
    assert.ok(local.includes(target.entry));
    const copied = target.build.filter((instruction) =>
      instruction.keyword === "COPY"
    ).flatMap((instruction) => instruction.args.split(/\s+/).slice(0, -1));
    assert.ok(copied.includes("deno.json") && copied.includes("deno.lock"));
    const ignored = DOCKERIGNORE.split("\n").map((line) => line.trim())
      .filter((line) => line !== "" && !line.startsWith("#"));
    for (const path of local) {
      assert.ok(
        copied.some((source) =>
          source.endsWith("/") && path.startsWith(source)
        ),
        `${path} is copied`,
      );
      assert.ok(
        ignored.includes(`!${path.split("/")[0]}/`),
        `${path} is in the build context`,
      );
      assert.ok(
        !/_test\.ts$|\/_test_/.test(path),
        `${path} is not a test file`,
      );
    }
  });
}
