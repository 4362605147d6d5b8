/**
 * The README's code blocks, run as written. Blocks whose info string says
 * `run` (`sh run`, `ts run`, `ts run=test`) run against a stack brought up
 * by `deno task up` in the checkout; `toml check` blocks go through the
 * agent's config parser; the rest are illustrative.
 */
import assert from "node:assert/strict";
import { parseAgentConfig } from "../agent/mod.ts";
import {
  exists,
  ignoreWithoutPodman,
  processAlive,
  tempDir,
} from "../testing/mod.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const README = await Deno.readTextFile(`${ROOT}README.md`);

/** A fenced code block of a Markdown text. */
interface CodeBlock {
  /** The first word of the info string: `sh`, `ts`, `toml`, … */
  lang: string;
  /** The rest of the info string, split on spaces: `run`, `run=test`, `check`. */
  attributes: string[];
  /** The block's text, ending with a newline. */
  code: string;
  /** 1-based line of the opening fence. */
  line: number;
}

/** The fenced (```) code blocks of `markdown`, in order. */
function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && lines[i] !== "```"; i++) body.push(lines[i]);
    blocks.push({
      lang: open[1],
      attributes: open[2].split(/\s+/).filter((a) => a),
      code: body.map((l) => `${l}\n`).join(""),
      line: start + 1,
    });
  }
  return blocks;
}

const BLOCKS = codeBlocks(README);
const marked = (lang: string, attribute: string) =>
  BLOCKS.filter((b) => b.lang === lang && b.attributes.includes(attribute));

/**
 * A bash script running `code` line by line, each line checked against its
 * `# exit N` comment (else 0); the first mismatch ends it with code 99.
 */
function checkedScript(code: string, line: number): string {
  const out: string[] = [];
  let pending = "";
  let first = 0;
  for (const [index, text] of code.split("\n").entries()) {
    if (pending === "") first = index;
    if (text.endsWith("\\")) {
      pending += text.slice(0, -1);
      continue;
    }
    const command = pending + text;
    pending = "";
    if (command.trim() === "" || command.trim().startsWith("#")) continue;
    const expected = Number(/#\s*exit (\d+)/.exec(command)?.[1] ?? 0);
    const where = `README.md:${line + 1 + first}`;
    out.push(
      command,
      `__rc=$?; if [ "$__rc" != ${expected} ]; then echo ${
        JSON.stringify(`${where}: exit $__rc, expected ${expected}: `)
      }${shellWord(command)} >&2; exit 99; fi`,
    );
  }
  return out.join("\n") + "\n";
}

function shellWord(text: string): string {
  return `'${text.replaceAll("'", `'"'"'`)}'`;
}

interface Output {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  command: string,
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<Output> {
  const output = await new Deno.Command(command, {
    args,
    cwd: options.cwd,
    env: { NO_COLOR: "1", ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** `deno task up` in the checkout, held until disposed (SIGINT, as Ctrl-C). */
async function denoTaskUp(env: Record<string, string>) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "up"],
    cwd: ROOT,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const reader = child.stdout.getReader();
  const decoder = new TextDecoder();
  let stdout = "";
  while (!stdout.includes("Press Ctrl-C")) {
    const { value, done } = await reader.read();
    if (done) break;
    stdout += decoder.decode(value, { stream: true });
  }
  const rest = (async () => {
    for (let c = await reader.read(); !c.done; c = await reader.read()) {
      stdout += decoder.decode(c.value, { stream: true });
    }
  })();
  const up = stdout.includes("Press Ctrl-C");
  return {
    up,
    output: async () => `${stdout}${up ? "" : await stderr}`,
    async stop(): Promise<Output> {
      try {
        child.kill("SIGINT");
      } catch {
        // Already exited.
      }
      const { code } = await child.status;
      await rest;
      return { code, stdout, stderr: await stderr };
    },
  };
}

/** Whether this checkout's CLI has `--context` (the operator's branch adds it). */
Deno.test("codeBlocks() reads fences with info-string attributes", () => {
  const blocks = codeBlocks(
    "x\n```sh run\na \\\n  b # exit 1\n```\n\n```\nplain\n```\n",
  );
  assert.deepEqual(blocks, [
    { lang: "sh", attributes: ["run"], code: "a \\\n  b # exit 1\n", line: 2 },
    { lang: "", attributes: [], code: "plain\n", line: 7 },
  ]);
  assert.equal(
    checkedScript(blocks[0].code, 2),
    `a   b # exit 1\n__rc=$?; if [ "$__rc" != 1 ]; then echo "README.md:3: exit $__rc, expected 1: "'a   b # exit 1' >&2; exit 99; fi\n`,
  );
});

Deno.test("README marks runnable shell, library and harness blocks", () => {
  assert.ok(marked("sh", "run").length >= 1, "no `sh run` block");
  assert.ok(marked("ts", "run").length >= 1, "no `ts run` block");
  assert.ok(marked("ts", "run=test").length >= 1, "no `ts run=test` block");
  assert.ok(marked("toml", "check").length >= 1, "no `toml check` block");
  for (const block of BLOCKS) {
    for (const attribute of block.attributes) {
      assert.ok(
        ["run", "run=test", "check", "podman"].includes(attribute),
        `README.md:${block.line}: unknown attribute "${attribute}"`,
      );
    }
  }
});

Deno.test("README toml blocks are valid agent configs", () => {
  for (const block of marked("toml", "check")) {
    parseAgentConfig(block.code, { path: `README.md:${block.line}` });
  }
});

Deno.test("README ts run=test blocks pass as tests in a linked project", async () => {
  await using project = await tempDir("fleet-readme-test-");
  const link = await run(Deno.execPath(), ["link", ROOT], {
    cwd: project.path,
  });
  assert.equal(link.code, 0, link.stderr);
  for (const block of marked("ts", "run=test")) {
    const file = `readme_${block.line}_test.ts`;
    await Deno.writeTextFile(`${project.path}/${file}`, block.code);
    const result = await run(Deno.execPath(), ["test", "-A", file], {
      cwd: project.path,
    });
    assert.equal(
      result.code,
      0,
      `README.md:${block.line}:\n${result.stdout}${result.stderr}`,
    );
  }
});

Deno.test("README sh run and ts run blocks work against deno task up", async (t) => {
  await using home = await tempDir("fleet-readme-test-");
  // The nats CLI context goes here, not into the real ~/.config.
  // INIT_CWD: `deno task up` writes fleet-up.env there; an inherited one
  // (from `deno task test` started elsewhere) would win over the checkout.
  const env = { XDG_CONFIG_HOME: `${home.path}/config`, INIT_CWD: ROOT };
  const envFile = `${ROOT}fleet-up.env`;
  const context = `${home.path}/config/nats/context/fleet-up.json`;
  const up = await denoTaskUp(env);
  try {
    assert.ok(up.up, await up.output());
    assert.ok(exists(envFile) && exists(context));

    for (const block of marked("sh", "run")) {
      const podman = block.attributes.includes("podman");
      await t.step({
        name: `README.md:${block.line} (sh${podman ? ", podman" : ""})`,
        // `deno task up` starts the workload containers when podman is there.
        ignore: podman && ignoreWithoutPodman(),
        fn: async () => {
          const result = await run(
            "bash",
            ["-c", checkedScript(block.code, block.line)],
            { cwd: ROOT, env },
          );
          assert.equal(result.code, 0, result.stdout + result.stderr);
        },
      });
    }

    await t.step({
      name: "the context fleet-up alone reaches the stack",
      fn: async () => {
        const ids = /^export FLEET_DEVICES='([^']*)'$/m.exec(
          await Deno.readTextFile(envFile),
        )?.[1];
        assert.ok(ids);
        const result = await run(
          "env",
          [
            "-u",
            "NATS_URL",
            "-u",
            "NATS_USER",
            "-u",
            "NATS_PASSWORD",
            Deno.execPath(),
            "run",
            "-A",
            "mod.ts",
            "ping",
            "--context",
            "fleet-up",
            ...ids.split(" "),
          ],
          { cwd: ROOT, env },
        );
        assert.equal(result.code, 0, result.stdout + result.stderr);
      },
    });

    await t.step("ts run blocks, saved in a linked project", async () => {
      await using project = await tempDir("fleet-readme-test-");
      const link = await run(Deno.execPath(), ["link", ROOT], {
        cwd: project.path,
      });
      assert.equal(link.code, 0, link.stderr);
      for (const block of marked("ts", "run")) {
        const file = `readme_${block.line}.ts`;
        await Deno.writeTextFile(`${project.path}/${file}`, block.code);
        // "run `deno run -A ping.ts` in the shell where you sourced fleet-up.env"
        const result = await run(
          "bash",
          ["-c", `source ${shellWord(envFile)} && deno run -A ${file}`],
          { cwd: project.path, env },
        );
        assert.equal(
          result.code,
          0,
          `README.md:${block.line}:\n${result.stdout}${result.stderr}`,
        );
        // A block may say what it prints (`// stdout: <the exact line>`);
        // otherwise it is the ping example.
        const said = /\/\/ stdout: (.+)$/m.exec(block.code);
        if (said) assert.equal(result.stdout, `${said[1]}\n`);
        else assert.match(result.stdout, /^0\.1\.0 \d+ (disabled|podman)\n$/);
      }
    });
  } finally {
    const stopped = await up.stop();
    assert.equal(stopped.code, 0, stopped.stdout + stopped.stderr);
    assert.match(stopped.stdout, /Torn down\.\n$/);
    assert.equal(exists(envFile), false);
    assert.equal(exists(context), false);
    const pids = [...stopped.stderr.matchAll(/\(pid (\d+)\)/g)].map((m) =>
      Number(m[1])
    );
    assert.deepEqual(pids.filter(processAlive), []);
  }
});
