import assert from "node:assert/strict";
import {
  DEADLINE,
  HandlerContext,
  withinDeadline,
} from "./_handler_context.ts";

const FIELDS = {
  verb: "ping",
  request: { verb: "ping" },
  streams: { cancel: () => false, keepalive: () => false },
} as const;

Deno.test("HandlerContext() makes its signal on first use, aborted if the deadline already passed", () => {
  const fresh = new HandlerContext("d1", FIELDS);
  assert.equal(fresh.signal.aborted, false);
  assert.equal(fresh.signal, fresh.signal);
  fresh.abort(new Error("deadline exceeded"));
  assert.equal(fresh.signal.aborted, true);

  const late = new HandlerContext("d1", FIELDS);
  late.abort(new Error("deadline exceeded"));
  assert.equal(late.signal.aborted, true);
  assert.equal((late.signal.reason as Error).message, "deadline exceeded");
});

Deno.test("withinDeadline() settles with the work, or DEADLINE and an aborted signal once the deadline passes", async () => {
  const done = new HandlerContext("d1", {
    ...FIELDS,
    deadline: Date.now() + 60_000,
  });
  assert.equal(await withinDeadline(Promise.resolve(7), done), 7);

  const never = new Promise(() => {});
  const late = new HandlerContext("d1", {
    ...FIELDS,
    deadline: Date.now() - 1,
  });
  assert.equal(await withinDeadline(never, late), DEADLINE);
  assert.equal(late.signal.aborted, true);

  const unbounded = new HandlerContext("d1", FIELDS);
  assert.equal(await withinDeadline(Promise.resolve("x"), unbounded), "x");
});

Deno.test("HandlerContext.annotate() gathers fields for the log line", () => {
  const context = new HandlerContext("d1", FIELDS);
  assert.equal(context.fields, undefined);
  context.annotate({ container: "web" });
  context.annotate({ argv: ["ls"] });
  assert.deepEqual(context.fields, { container: "web", argv: ["ls"] });
});
