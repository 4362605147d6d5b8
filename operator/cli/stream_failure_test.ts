import assert from "node:assert/strict";
import {
  CommandTimeoutError,
  DeviceOfflineError,
  StreamEndedEarlyError,
  StreamInterruptedError,
} from "../errors.ts";
import { CliUsageError } from "./errors.ts";
import { ExitCode } from "./exit_codes.ts";
import {
  commandErrorJson,
  reportStopped,
  reportStreamFailure,
  streamFailureCode,
} from "./stream_failure.ts";

const context = {
  deviceId: "d1",
  verb: "exec",
  requestId: "00000000-0000-4000-8000-000000000000",
};

Deno.test("streamFailureCode() is 124 for no reply in time and a deadline end, 125 for anything else", () => {
  assert.equal(
    streamFailureCode(new CommandTimeoutError({ ...context, timeoutMs: 1 })),
    ExitCode.TimedOut,
  );
  const ended = (reason: "deadline" | "cancelled") =>
    new StreamEndedEarlyError({ ...context, reason, timeoutMs: 1 });
  assert.equal(streamFailureCode(ended("deadline")), ExitCode.TimedOut);
  assert.equal(streamFailureCode(ended("cancelled")), ExitCode.Failed);
  assert.equal(
    streamFailureCode(new DeviceOfflineError(context)),
    ExitCode.Failed,
  );
  assert.equal(streamFailureCode(new Error("bug")), ExitCode.Failed);
});

Deno.test("commandErrorJson() names the type, device, request and the interruption's reason", () => {
  const json = commandErrorJson(
    new StreamInterruptedError({ ...context, reason: "gap", detail: "lost" }),
  );
  assert.deepEqual(json, {
    error: {
      type: "stream_interrupted",
      message: 'Cannot exec device "d1": the stream was interrupted: lost',
      exit_code: ExitCode.Failed,
      device_id: "d1",
      request_id: context.requestId,
      reason: "gap",
    },
  });
});

Deno.test("reportStreamFailure() reports usage errors with 125, not ping's 2", () => {
  let out = "";
  let err = "";
  const code = reportStreamFailure(new CliUsageError("bad --tail"), {
    stdout: { write: (t) => void (out += t) },
    stderr: { write: (t) => void (err += t) },
    json: true,
  });
  assert.equal(code, ExitCode.Failed);
  assert.equal(err, "error: bad --tail\n");
  assert.equal(JSON.parse(out).error.exit_code, ExitCode.Failed);
});

Deno.test("reportStopped() says nothing on stderr, and gives a JSON object with --json", () => {
  let out = "";
  const stderr = { write: () => assert.fail("nothing on stderr") };
  const stdout = { write: (t: string) => void (out += t) };
  assert.equal(
    reportStopped("SIGINT", 130, { stdout, stderr, json: false }),
    130,
  );
  assert.equal(out, "");
  reportStopped("SIGTERM", 143, { stdout, stderr, json: true });
  assert.deepEqual(JSON.parse(out).error, {
    type: "signal",
    message: "stopped by SIGTERM; cancel was sent",
    exit_code: 143,
    signal: "SIGTERM",
  });
});
