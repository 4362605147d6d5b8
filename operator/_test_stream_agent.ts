/**
 * Test helper: a real nats-server (an admin and one device user) and an
 * in-process `CommandServer` for {@linkcode DEVICE} with stand-in `logs`
 * and `exec` handlers — the real protocol over real NATS, without podman.
 * Test-only, not published.
 *
 * The stand-in `exec` runs a tiny script language on `cmd`:
 *
 * - `echo <words…>`: the words and a newline on stdout; exit 0
 * - `echoerr <words…>`: the same on stderr; exit 0
 * - `both`: `out\n` on stdout, `err\n` on stderr, `out2\n` on stdout; exit 0
 * - `exit <n>`: exit n
 * - `cat`: stdin back on stdout; exit 0
 * - `show`: the request (container, host, cmd, env, workdir) as JSON; exit 0
 * - `bytes <n>`: n bytes 0, 1, …, 255, 0, … on stdout; exit 0
 * - `sleep`: `started\n` on stdout, then waits until stopped (never exits)
 * - `yes`: `y\n` lines until stopped
 * - `fail <kind>`: an error reply of that kind
 *
 * The stand-in `logs` serves container `web` (lines `line 1\n` … `line
 * 5\n`, `tail` honoured, `stdout: false` drops them; with `stderr` on also
 * `warn\n` on stderr), `binary` (bytes 0–255), `request` (the request as
 * JSON), `ticker` (`tick 1\n`, `tick 2\n`, … every 20 ms, follow or not,
 * until stopped), `quiet` (`hello\n`, then nothing until stopped) and
 * answers `not_found` for any other container.
 *
 * @module
 */
import type { NatsConnection } from "@nats-io/nats-core";
import { connect } from "../nats/mod.ts";
import {
  decodeBase64,
  type ErrorKind,
  type ExecRequest,
  type LogsRequest,
  type StreamChunk,
} from "../contracts/mod.ts";
import {
  type CommandContext,
  CommandServer,
  HandlerError,
  Logger,
  type StreamResult,
} from "../agent/mod.ts";
import { NatsServerProcess, TEST_ADMIN } from "../testing/mod.ts";

/** The device the stand-in agent answers for. */
export const DEVICE = "dev-1";
const DEVICE_USER = { user: `device-${DEVICE}`, password: "dev-1-pw" };

/** One request a stand-in handler got. */
export interface HandlerCall {
  verb: "logs" | "exec";
  request: LogsRequest | ExecRequest;
  requestId?: string;
  operatorSub?: string;
  deadline?: number;
  /** Aborted when the agent ended the stream (cancel, deadline, limit, …). */
  signal: AbortSignal;
}

/** What {@linkcode withStreamAgent} hands the test. */
export interface StreamAgentFixture {
  /** The nats-server's URL. */
  url: string;
  /** Connected as admin: what the client under test uses. */
  operatorNc: NatsConnection;
  /** The agent's own connection (the device user). */
  agentNc: NatsConnection;
  /** The command server, started. */
  server: CommandServer;
  /** Every logs/exec request the handlers got, in order. */
  calls: HandlerCall[];
}

/** Options of {@linkcode withStreamAgent}. */
export interface StreamAgentOptions {
  /** The server's keepalive timeout (the protocol's is 15 s). */
  keepaliveTimeoutMs?: number;
}

const encoder = new TextEncoder();
const text = (s: string) => encoder.encode(s);

/** Runs `fn` with a nats-server and the stand-in agent, all torn down after. */
export async function withStreamAgent(
  fn: (fixture: StreamAgentFixture) => Promise<void>,
  options: StreamAgentOptions = {},
): Promise<void> {
  await using nats = await NatsServerProcess.start({
    config: {
      admin: TEST_ADMIN,
      devices: [{ deviceId: DEVICE, ...DEVICE_USER }],
    },
  });
  const agentNc = await connect({
    servers: nats.url,
    user: DEVICE_USER.user,
    pass: DEVICE_USER.password,
  });
  const operatorNc = await connect({
    servers: nats.url,
    user: TEST_ADMIN.user,
    pass: TEST_ADMIN.password,
  });
  const calls: HandlerCall[] = [];
  const record = (ctx: CommandContext<LogsRequest | ExecRequest>) =>
    void calls.push({
      verb: ctx.verb as "logs" | "exec",
      request: ctx.request,
      requestId: ctx.requestId,
      operatorSub: ctx.operatorSub,
      deadline: ctx.deadline,
      signal: ctx.signal,
    });
  try {
    await using server = new CommandServer(agentNc, {
      deviceId: DEVICE,
      runtime: "disabled",
      logger: new Logger({ write: () => {} }),
      keepaliveTimeoutMs: options.keepaliveTimeoutMs,
      handlers: {
        logs: (ctx) => {
          record(ctx);
          return fakeLogs(ctx);
        },
        exec: (ctx) => {
          record(ctx);
          return fakeExec(ctx);
        },
      },
    });
    await server.start();
    await fn({ url: nats.url, operatorNc, agentNc, server, calls });
  } finally {
    await Promise.all([operatorNc.close(), agentNc.close()]);
  }
}

// Resolves after `ms` or when `signal` aborts, whichever comes first,
// leaving no timer behind.
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

async function* fakeExec(
  ctx: CommandContext<ExecRequest>,
): AsyncGenerator<StreamChunk, StreamResult> {
  const { request, signal } = ctx;
  const [command, ...args] = request.cmd;
  switch (command) {
    case "echo":
      yield { stream: "stdout", data: text(`${args.join(" ")}\n`) };
      return { exitCode: 0 };
    case "echoerr":
      yield { stream: "stderr", data: text(`${args.join(" ")}\n`) };
      return { exitCode: 0 };
    case "both":
      yield { stream: "stdout", data: text("out\n") };
      yield { stream: "stderr", data: text("err\n") };
      yield { stream: "stdout", data: text("out2\n") };
      return { exitCode: 0 };
    case "exit":
      return { exitCode: Number(args[0]) };
    case "cat": {
      const stdin = decodeBase64(request.stdin ?? "") ?? new Uint8Array();
      if (stdin.length > 0) yield { stream: "stdout", data: stdin };
      return { exitCode: 0 };
    }
    case "show": {
      const { container, host, cmd, env, workdir } = request;
      yield {
        stream: "stdout",
        data: text(JSON.stringify({ container, host, cmd, env, workdir })),
      };
      return { exitCode: 0 };
    }
    case "bytes": {
      const data = new Uint8Array(Number(args[0]));
      for (let i = 0; i < data.length; i++) data[i] = i % 256;
      yield { stream: "stdout", data };
      return { exitCode: 0 };
    }
    case "sleep":
      yield { stream: "stdout", data: text("started\n") };
      await pause(3_600_000, signal);
      throw signal.reason;
    case "yes": {
      const lines = text("y\n".repeat(1000));
      while (!signal.aborted) {
        yield { stream: "stdout", data: lines };
        await pause(1, signal);
      }
      throw signal.reason;
    }
    case "fail":
      throw new HandlerError(args[0] as ErrorKind, `told to fail: ${args[0]}`);
    default:
      throw new HandlerError("bad_request", `unknown script "${command}"`);
  }
}

async function* fakeLogs(
  ctx: CommandContext<LogsRequest>,
): AsyncGenerator<StreamChunk, StreamResult | void> {
  const { request, signal } = ctx;
  switch (request.container) {
    case "web": {
      const lines = [1, 2, 3, 4, 5].map((n) => `line ${n}\n`);
      const kept = request.tail === undefined
        ? lines
        : lines.slice(lines.length - request.tail);
      if (request.stdout !== false && kept.length > 0) {
        yield { stream: "stdout", data: text(kept.join("")) };
      }
      if (request.stderr !== false) {
        yield { stream: "stderr", data: text("warn\n") };
      }
      return;
    }
    case "binary": {
      const data = new Uint8Array(256);
      for (let i = 0; i < 256; i++) data[i] = i;
      yield { stream: "stdout", data };
      return;
    }
    case "request":
      yield { stream: "stdout", data: text(JSON.stringify(request)) };
      return;
    case "quiet":
      yield { stream: "stdout", data: text("hello\n") };
      await pause(3_600_000, signal);
      throw signal.reason;
    case "ticker":
      for (let n = 1; !signal.aborted; n++) {
        yield { stream: "stdout", data: text(`tick ${n}\n`) };
        await pause(20, signal);
      }
      throw signal.reason;
    default:
      throw new HandlerError(
        "not_found",
        `No container ${JSON.stringify(request.container)}`,
      );
  }
}
