import assert from "node:assert/strict";
import { PayloadError } from "../../contracts/mod.ts";
import { ExitCode } from "./exit_codes.ts";
import { exitCodeFor, type PingResult, pingStatusOf } from "./ping_results.ts";
import {
  BadReplyError,
  CommandTimeoutError,
  DeviceOfflineError,
  NatsTransportError,
  RemoteCommandError,
} from "../errors.ts";

const context = {
  deviceId: "d1",
  verb: "ping",
  requestId: "00000000-0000-4000-8000-000000000000",
};
const offline = new DeviceOfflineError(context);
const ok: PingResult = {
  deviceId: "d1",
  status: "ok",
  rttMs: 1,
  reply: {
    device_id: "d1",
    agent_version: "0.1.0",
    uptime_s: 1,
    runtime: "disabled",
  },
};

Deno.test("pingStatusOf() names each client error", () => {
  assert.equal(pingStatusOf(offline), "offline");
  assert.equal(
    pingStatusOf(new CommandTimeoutError({ ...context, timeoutMs: 1 })),
    "timeout",
  );
  assert.equal(
    pingStatusOf(
      new RemoteCommandError({
        ...context,
        kind: "internal",
        code: 500,
        remoteMessage: "",
      }),
    ),
    "remote_error",
  );
  assert.equal(
    pingStatusOf(
      new BadReplyError({ ...context, cause: new PayloadError("x") }),
    ),
    "bad_reply",
  );
  assert.equal(
    pingStatusOf(new NatsTransportError({ ...context, cause: new Error("x") })),
    "transport_error",
  );
});

Deno.test("exitCodeFor() is Ok when all answered, NotAllAnswered for a silent device, Connection for a transport failure", () => {
  assert.equal(exitCodeFor([]), ExitCode.Ok);
  assert.equal(exitCodeFor([ok, ok]), ExitCode.Ok);
  const down: PingResult = {
    deviceId: "d1",
    status: "offline",
    error: offline,
  };
  assert.equal(exitCodeFor([ok, down]), ExitCode.NotAllAnswered);
  const cut: PingResult = {
    deviceId: "d1",
    status: "transport_error",
    error: new NatsTransportError({ ...context, cause: new Error("closed") }),
  };
  assert.equal(exitCodeFor([down, cut, ok]), ExitCode.Connection);
});

Deno.test("ExitCode values are distinct", () => {
  const values = Object.values(ExitCode);
  assert.equal(new Set(values).size, values.length);
  assert.equal(ExitCode.Ok, 0);
});

Deno.test("pingStatusOf() counts the agent's deadline_exceeded reply as a timeout, as the fan-out summary does", () => {
  assert.equal(
    pingStatusOf(
      new RemoteCommandError({
        ...context,
        kind: "deadline_exceeded",
        code: 504,
        remoteMessage: "deadline passed",
      }),
    ),
    "timeout",
  );
});
