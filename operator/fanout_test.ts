import assert from "node:assert/strict";
import { InvalidDeviceIdError, PayloadError } from "../contracts/mod.ts";
import {
  BadReplyError,
  CommandTimeoutError,
  DeviceOfflineError,
  NatsTransportError,
  RemoteCommandError,
  StreamEndedEarlyError,
} from "./errors.ts";
import {
  DEFAULT_FANOUT_CONCURRENCY,
  fanOut,
  type FanoutOutcome,
  fanoutStatusOf,
} from "./fanout.ts";

const context = (deviceId: string) => ({
  deviceId,
  verb: "ping",
  requestId: "00000000-0000-4000-8000-000000000000",
});

/** A command whose calls the test settles by hand. */
function manualCommand() {
  const calls = new Map<
    string,
    { resolve: (v: string) => void; reject: (e: unknown) => void }
  >();
  const signals = new Map<string, AbortSignal>();
  const command = (deviceId: string, signal: AbortSignal) =>
    new Promise<string>((resolve, reject) => {
      calls.set(deviceId, { resolve, reject });
      signals.set(deviceId, signal);
      signal.addEventListener("abort", () => reject(signal.reason), {
        once: true,
      });
    });
  return { calls, signals, command };
}

Deno.test("fanoutStatusOf() sorts the client's errors into offline, timed out and errored", () => {
  assert.equal(fanoutStatusOf(new DeviceOfflineError(context("a"))), "offline");
  assert.equal(
    fanoutStatusOf(new CommandTimeoutError({ ...context("a"), timeoutMs: 1 })),
    "timed_out",
  );
  const remote = (kind: "deadline_exceeded" | "internal", code: number) =>
    new RemoteCommandError({ ...context("a"), kind, code, remoteMessage: "" });
  assert.equal(fanoutStatusOf(remote("deadline_exceeded", 504)), "timed_out");
  assert.equal(fanoutStatusOf(remote("internal", 500)), "errored");
  assert.equal(
    fanoutStatusOf(
      new StreamEndedEarlyError({
        ...context("a"),
        reason: "deadline",
        timeoutMs: 1,
      }),
    ),
    "timed_out",
  );
  assert.equal(
    fanoutStatusOf(
      new BadReplyError({ ...context("a"), cause: new PayloadError("x") }),
    ),
    "errored",
  );
  assert.equal(
    fanoutStatusOf(
      new NatsTransportError({ ...context("a"), cause: new Error("x") }),
    ),
    "errored",
  );
  assert.equal(fanoutStatusOf(new Error("bug")), "errored");
});

Deno.test("fanOut() yields one outcome per device as each arrives, then the exact summary", async () => {
  const { calls, command } = manualCommand();
  const fanout = fanOut(["a", "b", "c", "d", "b"], command);
  const seen: FanoutOutcome<string>[] = [];
  const loop = (async () => {
    for await (const outcome of fanout) seen.push(outcome);
  })();
  await waitUntil(() => calls.size === 4);
  calls.get("c")!.resolve("C");
  await waitUntil(() => seen.length === 1);
  assert.equal(seen[0].deviceId, "c");
  assert.equal(fanout.summary, undefined);
  calls.get("a")!.reject(new DeviceOfflineError(context("a")));
  calls.get("d")!.reject(
    new CommandTimeoutError({ ...context("d"), timeoutMs: 5 }),
  );
  calls.get("b")!.reject(new Error("boom"));
  await loop;

  assert.deepEqual(seen.map((o) => [o.deviceId, o.status]), [
    ["c", "answered"],
    ["a", "offline"],
    ["d", "timed_out"],
    ["b", "errored"],
  ]);
  assert.deepEqual(fanout.summary, {
    targeted: 4,
    answered: ["c"],
    offline: ["a"],
    timedOut: ["d"],
    errored: ["b"],
  });
});

Deno.test("fanOut() never has more than `concurrency` commands in flight", async () => {
  const ids = Array.from({ length: 50 }, (_, i) => `d-${i}`);
  let inFlight = 0;
  let most = 0;
  const fanout = fanOut(ids, async (id) => {
    inFlight++;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setTimeout(resolve, id.length % 3));
    inFlight--;
    return id;
  }, { concurrency: 7 });
  const { outcomes, summary } = await fanout.collect();
  assert.equal(most, 7);
  assert.equal(fanout.maxInFlight, 7);
  assert.deepEqual(outcomes.map((o) => o.deviceId), ids);
  assert.deepEqual(summary.answered, ids);
});

Deno.test("fanOut() starts the next command as soon as one settles, not in batches", async () => {
  const { calls, command } = manualCommand();
  const fanout = fanOut(["a", "b", "c"], command, { concurrency: 2 });
  const loop = fanout.collect();
  await waitUntil(() => calls.size === 2);
  assert.deepEqual([...calls.keys()], ["a", "b"]);
  calls.get("b")!.resolve("B");
  await waitUntil(() => calls.size === 3);
  assert.equal(fanout.inFlight, 2);
  calls.get("a")!.resolve("A");
  calls.get("c")!.resolve("C");
  const { summary } = await loop;
  assert.deepEqual(summary.answered, ["a", "b", "c"]);
});

Deno.test("fanOut() leaving the loop early sends nothing more and aborts what is in flight", async () => {
  const { calls, signals, command } = manualCommand();
  const fanout = fanOut(["a", "b", "c", "d"], command, { concurrency: 2 });
  const loop = (async () => {
    for await (const _ of fanout) break;
  })();
  await waitUntil(() => calls.size === 2);
  calls.get("a")!.resolve("A");
  await loop;
  assert.equal(calls.size, 3); // "c" was started when "a" settled, then aborted
  assert.equal(signals.get("b")!.aborted, true);
  assert.equal(fanout.inFlight, 0);
  assert.equal(fanout.summary, undefined);
});

Deno.test("fanOut() aborting the caller's signal stops it and throws the reason", async () => {
  const { calls, command } = manualCommand();
  const controller = new AbortController();
  const fanout = fanOut(["a", "b"], command, { signal: controller.signal });
  const loop = fanout.collect();
  await waitUntil(() => calls.size === 2);
  const reason = new Error("stop");
  controller.abort(reason);
  await assert.rejects(loop, (error) => error === reason);
  assert.equal(fanout.inFlight, 0);
});

Deno.test("fanOut() checks ids and concurrency before sending anything", () => {
  let sent = 0;
  const command = () => {
    sent++;
    return Promise.resolve(1);
  };
  assert.throws(() => fanOut(["ok", "a.b"], command), InvalidDeviceIdError);
  for (const concurrency of [0, -1, 1.5, NaN]) {
    const error = assert.throws(
      () => fanOut(["a"], command, { concurrency }),
      RangeError,
    );
    void error;
  }
  assert.throws(
    () => fanOut(["a"], command, { concurrency: 0 }),
    { name: "RangeError", message: /Invalid fan-out concurrency 0/ },
  );
  assert.equal(sent, 0);
  assert.equal(DEFAULT_FANOUT_CONCURRENCY > 0, true);
});

Deno.test("fanOut() over no devices ends at once with an empty summary", async () => {
  const { outcomes, summary } = await fanOut([], () => Promise.resolve(1))
    .collect();
  assert.deepEqual(outcomes, []);
  assert.deepEqual(summary, {
    targeted: 0,
    answered: [],
    offline: [],
    timedOut: [],
    errored: [],
  });
});

Deno.test("Fanout iterated twice throws a TypeError", async () => {
  const fanout = fanOut(["a"], () => Promise.resolve(1));
  await fanout.collect();
  assert.throws(() => fanout[Symbol.asyncIterator](), TypeError);
});

async function waitUntil(condition: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition never held");
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}
