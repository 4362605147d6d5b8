import assert from "node:assert/strict";
import { PayloadError } from "../contracts/mod.ts";
import {
  BadReplyError,
  CommandError,
  CommandTimeoutError,
  DeviceOfflineError,
  NatsTransportError,
  RemoteCommandError,
  StreamEndedEarlyError,
  StreamInterruptedError,
} from "./errors.ts";

const context = {
  deviceId: "d-17",
  verb: "ping",
  requestId: "00000000-0000-4000-8000-000000000000",
};

Deno.test("CommandError subclasses set name, fields, cause and a message quoting the device", () => {
  const cause = new Error("503");
  const cases: [CommandError, string, string][] = [
    [
      new DeviceOfflineError({ ...context, cause }),
      "DeviceOfflineError",
      'Cannot ping device "d-17": no responders (no agent connected for it)',
    ],
    [
      new CommandTimeoutError({ ...context, cause, timeoutMs: 250 }),
      "CommandTimeoutError",
      'Cannot ping device "d-17": no reply within 250 ms',
    ],
    [
      new NatsTransportError({
        ...context,
        cause: new Error("connection closed"),
      }),
      "NatsTransportError",
      'Cannot ping device "d-17": connection closed',
    ],
    [
      new RemoteCommandError({
        ...context,
        kind: "internal",
        code: 500,
        remoteMessage: "",
      }),
      "RemoteCommandError",
      'Cannot ping device "d-17": the agent answered internal (500)',
    ],
  ];
  for (const [error, name, message] of cases) {
    assert.ok(error instanceof CommandError);
    assert.ok(error instanceof Error);
    assert.equal(error.name, name);
    assert.equal(error.message, message);
    assert.equal(error.deviceId, "d-17");
    assert.equal(error.verb, "ping");
    assert.equal(error.requestId, context.requestId);
  }
  assert.equal(cases[0][0].cause, cause);
});

Deno.test("BadReplyError() keeps the PayloadError as cause and in its message", () => {
  const cause = new PayloadError(
    'ping reply field "uptime_s" must be a non-negative integer, got -1',
  );
  const error = new BadReplyError({ ...context, cause });
  assert.ok(error instanceof CommandError);
  assert.equal(error.name, "BadReplyError");
  assert.equal(error.cause, cause);
  assert.equal(
    error.message,
    `Cannot ping device "d-17": bad reply: ${cause.message}`,
  );
});

Deno.test("NatsTransportError() names both a wrapper error and its inner cause", () => {
  const inner = new Error('Permissions Violation for Publish to "x"');
  const wrapper = new Error("request failed", { cause: inner });
  const error = new NatsTransportError({ ...context, cause: wrapper });
  assert.equal(
    error.message,
    `Cannot ping device "d-17": request failed: ${inner.message}`,
  );
  assert.equal(error.cause, wrapper);
});

Deno.test("StreamInterruptedError() is a CommandError saying how the stream was interrupted", () => {
  const cause = new Error("nats-level");
  const error = new StreamInterruptedError({
    ...context,
    verb: "logs",
    cause,
    reason: "gap",
    detail: "a message was lost (expected X-Harmony-Seq 3, got 5)",
    expectedSeq: 3,
    receivedSeq: 5,
  });
  assert.ok(error instanceof CommandError);
  assert.equal(error.name, "StreamInterruptedError");
  assert.equal(error.reason, "gap");
  assert.equal(error.expectedSeq, 3);
  assert.equal(error.receivedSeq, 5);
  assert.equal(error.cause, cause);
  assert.equal(error.deviceId, "d-17");
  assert.equal(error.verb, "logs");
  assert.equal(
    error.message,
    'Cannot logs device "d-17": the stream was interrupted: a message was lost (expected X-Harmony-Seq 3, got 5)',
  );
  const lost = new StreamInterruptedError({
    ...context,
    reason: "lost",
    detail: "the agent lost the stream",
  });
  assert.equal(lost.expectedSeq, undefined);
  assert.equal(lost.reason, "lost");
});

Deno.test("StreamEndedEarlyError says which end came and why, and keeps exec's output", () => {
  const output = { stdout: new Uint8Array([1]), stderr: new Uint8Array() };
  const error = new StreamEndedEarlyError({
    ...context,
    verb: "exec",
    reason: "deadline",
    timeoutMs: 1000,
    output,
  });
  assert.ok(error instanceof CommandError);
  assert.equal(error.name, "StreamEndedEarlyError");
  assert.equal(error.reason, "deadline");
  assert.equal(error.timeoutMs, 1000);
  assert.equal(error.output, output);
  assert.equal(
    error.message,
    'Cannot exec device "d-17": the agent ended the stream "deadline" before it was done: its deadline passed (timeout 1000 ms) and the agent stopped the work',
  );
  const cancelled = new StreamEndedEarlyError({
    ...context,
    verb: "logs",
    reason: "cancelled",
    timeoutMs: 1,
  });
  assert.match(
    cancelled.message,
    /did not send arrived, or the agent is stopping$/,
  );
  assert.equal(cancelled.output, undefined);
});
