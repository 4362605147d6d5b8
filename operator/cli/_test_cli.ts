/**
 * Helpers for the CLI's tests: running `fleet` in-process or as a child
 * process with an environment of the test's own (never the real one, never
 * the real home), and stand-in agents. Test-only, not published.
 *
 * @module
 */
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "../../nats/mod.ts";
import { encodeJson, type PingReply } from "../../contracts/mod.ts";
import { runCli } from "./program.ts";
import { TEST_ADMIN } from "../../testing/mod.ts";

/** What a run of the CLI gave. */
export interface CliRun {
  /** Its exit code. */
  code: number;
  /** Everything written to stdout. */
  stdout: string;
  /** Everything written to stderr. */
  stderr: string;
}

/** Environment variables of a run; `undefined` leaves one out. */
export type TestEnv = Record<string, string | undefined>;

/** Runs `runCli(args)` in this process with `env` as its whole environment. */
export async function runInProcess(
  args: readonly string[],
  env: TestEnv = {},
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    stdout: { write: (text) => void (stdout += text) },
    stderr: { write: (text) => void (stderr += text) },
    env,
  });
  return { code, stdout, stderr };
}

const CLI_MAIN = new URL("../cli_main.ts", import.meta.url).pathname;
const DENO_CONFIG = new URL("../../deno.json", import.meta.url).pathname;

// Where this Deno keeps its cache, so a child with another HOME finds it.
function denoDir(): string {
  const explicit = Deno.env.get("DENO_DIR");
  if (explicit) return explicit;
  const cache = Deno.env.get("XDG_CACHE_HOME") ||
    `${Deno.env.get("HOME")}/.cache`;
  return `${cache}/deno`;
}

/**
 * Runs `deno run -A operator/cli_main.ts args…` as a child process whose
 * environment is only `PATH`, `DENO_DIR`, `NO_COLOR` and `env` (so `HOME`
 * is unset unless `env` sets it).
 */
export async function runProcess(
  args: readonly string[],
  env: TestEnv = {},
): Promise<CliRun> {
  const childEnv: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    DENO_DIR: denoDir(),
    NO_COLOR: "1",
  };
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined) childEnv[name] = value;
  }
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--config", DENO_CONFIG, CLI_MAIN, ...args],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    clearEnv: true,
    env: childEnv,
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** The ping reply the stand-in agents give. */
export function pingReply(deviceId: string, uptime = 192): PingReply {
  return {
    device_id: deviceId,
    agent_version: "0.1.0",
    uptime_s: uptime,
    runtime: "disabled",
  };
}

/**
 * A stand-in agent: answers ping for each of `deviceIds` on one connection,
 * made as `credentials` (default {@linkcode TEST_ADMIN}).
 */
export async function fakeAgents(
  url: string,
  deviceIds: readonly string[],
  credentials: { user: string; password: string } = TEST_ADMIN,
): Promise<NatsConnection> {
  const nc = await connect({
    servers: url,
    user: credentials.user,
    pass: credentials.password,
  });
  for (const deviceId of deviceIds) {
    nc.subscribe(`device-commands.${deviceId}.ping`, {
      callback: (error, msg) => {
        if (!error) msg.respond(encodeJson(pingReply(deviceId)));
      },
    });
  }
  await nc.flush();
  return nc;
}

/** `-s url --user admin --password …` for {@linkcode TEST_ADMIN}. */
export function adminArgs(url: string): string[] {
  return [
    "-s",
    url,
    "--user",
    TEST_ADMIN.user,
    "--password",
    TEST_ADMIN.password,
  ];
}
