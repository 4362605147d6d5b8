import assert from "node:assert/strict";
import { CommandLog } from "./command_log.ts";
import { Logger, type LogLevel } from "./log.ts";
import { waitFor } from "../testing/mod.ts";

function collect(level: LogLevel = "info") {
  const lines: Record<string, unknown>[] = [];
  const logger = new Logger({
    level,
    write: (line) => lines.push(JSON.parse(line)),
  });
  return { lines, logger };
}

const PING_OK = {
  subject: "device-commands.d1.ping",
  verb: "ping",
  requestId: "r-1",
  operatorSub: "alice",
  outcome: "ok",
  started: performance.now(),
} as const;

Deno.test("CommandLog() writes a successful ping at debug only, with its request id, operator and duration", () => {
  const info = collect("info");
  using quiet = new CommandLog({ logger: info.logger });
  quiet.record(PING_OK);
  assert.deepEqual(info.lines.filter((l) => l.event === "command"), []);

  const debug = collect("debug");
  using verbose = new CommandLog({ logger: debug.logger });
  verbose.record(PING_OK);
  const [line] = debug.lines.filter((l) => l.event === "command");
  assert.equal(line.level, "debug");
  assert.equal(line.verb, "ping");
  assert.equal(line.outcome, "ok");
  assert.equal(line.request_id, "r-1");
  assert.equal(line.operator_sub, "alice");
  assert.equal(typeof line.duration_ms, "number");
});

Deno.test("CommandLog() writes every failed command and every other verb at info", () => {
  const { lines, logger } = collect("info");
  using log = new CommandLog({ logger, quietVerbs: ["ping"] });
  log.record({
    ...PING_OK,
    outcome: "bad_request",
    message: "Bad request",
  });
  log.record({ ...PING_OK, verb: "exec", subject: "device-commands.d1.exec" });
  log.record({ ...PING_OK, verb: undefined, outcome: "bad_request" });
  const commands = lines.filter((l) => l.event === "command");
  assert.deepEqual(
    commands.map((l) => [l.level, l.verb, l.outcome]),
    [
      ["info", "ping", "bad_request"],
      ["info", "exec", "ok"],
      ["info", undefined, "bad_request"],
    ],
  );
  assert.equal(commands[0].message, "Bad request");
});

Deno.test("CommandLog() counts commands per verb and outcome in a commands line at info, every interval and on close", async () => {
  const { lines, logger } = collect("info");
  const summaries = () => lines.filter((l) => l.event === "commands");
  {
    using log = new CommandLog({ logger, summaryIntervalS: 0.05 });
    for (let i = 0; i < 3; i++) log.record(PING_OK);
    log.record({ ...PING_OK, outcome: "deadline_exceeded" });
    log.record({ ...PING_OK, verb: "reboot", outcome: "bad_request" });
    const first = await waitFor("a summary", () => summaries()[0]);
    assert.equal(first.level, "info");
    assert.equal(first.total, 5);
    assert.deepEqual(first.counts, {
      ping: { ok: 3, deadline_exceeded: 1 },
      "(unknown)": { bad_request: 1 },
    });
    assert.equal(typeof first.since, "string");
    log.record(PING_OK);
  }
  // Closing wrote what was counted since the last line.
  assert.equal(summaries().length, 2);
  assert.deepEqual(summaries()[1].counts, { ping: { ok: 1 } });
  assert.equal(summaries()[1].total, 1);
});

Deno.test("CommandLog() writes no commands line when nothing was counted", () => {
  const { lines, logger } = collect("debug");
  const log = new CommandLog({ logger, summaryIntervalS: 0.01 });
  log.close();
  log.close();
  assert.deepEqual(lines, []);
});

Deno.test("CommandLog() refuses a summary interval that is not a positive number of seconds", () => {
  for (const summaryIntervalS of [0, -1, NaN, Infinity, 2 ** 31]) {
    assert.throws(
      () => new CommandLog({ summaryIntervalS }),
      (error: unknown) => {
        assert.ok(error instanceof RangeError);
        assert.match(error.message, /summary interval/);
        return true;
      },
    );
  }
});
