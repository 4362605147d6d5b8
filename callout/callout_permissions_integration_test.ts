// What a login through the callout may do: exactly the permissions of its
// role, for no longer than its token lives.
import assert from "node:assert/strict";
import { errors as natsErrors } from "@nats-io/nats-core";
import {
  deviceCommandSubject,
  deviceHeartbeatSubject,
} from "../contracts/mod.ts";
import {
  assertPublishDenied,
  assertSubscribeDenied,
  TEST_OPERATOR_SUBJECT,
  waitFor,
  watchErrors,
} from "../testing/mod.ts";
import { startCalloutStack } from "./_test_callout_stack.ts";

Deno.test("CalloutService gives a device exactly its own subjects and an operator every device", async (t) => {
  await using stack = await startCalloutStack();
  const { issuer } = stack;
  const a = await stack.connect(await issuer.mint({ subject: "device-a" }));
  const b = await stack.connect(await issuer.mint({ subject: "device-b" }));
  const operator = await stack.connect(
    await issuer.mint({ subject: TEST_OPERATOR_SUBJECT }),
  );
  try {
    // Device b answers its commands with a three-message stream.
    b.subscribe("device-commands.b.>", {
      callback: (_error, msg) => {
        msg.respond("one");
        msg.respond("two");
        msg.respond("");
      },
    });
    await b.flush();

    await t.step(
      "an operator commands device b and gets its whole stream",
      async () => {
        const replies: string[] = [];
        const iterator = await operator.requestMany(
          deviceCommandSubject("b", "ping"),
          "",
          { maxWait: 5_000, strategy: "sentinel" },
        );
        for await (const msg of iterator) replies.push(msg.string());
        assert.deepEqual(replies, ["one", "two", ""]);
      },
    );

    await t.step("an operator sees every heartbeat", async () => {
      const sub = operator.subscribe("device-heartbeat.>", { max: 1 });
      await operator.flush();
      b.publish(deviceHeartbeatSubject("b"), "{}");
      for await (const msg of sub) {
        assert.equal(msg.subject, "device-heartbeat.b");
      }
    });

    await t.step(
      "device a cannot subscribe to device b's commands, heartbeats, any wildcard or $SYS",
      async () => {
        for (
          const subject of [
            "device-commands.b.>",
            "device-commands.b.ping",
            "device-commands.>",
            "device-heartbeat.b",
            "device-heartbeat.>",
            ">",
            "$SYS.>",
            "_INBOX.>",
          ]
        ) {
          await assertSubscribeDenied(a, subject);
        }
      },
    );

    await t.step(
      "device a cannot publish commands, b's heartbeat or to $SYS",
      async () => {
        const watch = watchErrors(a);
        for (
          const subject of [
            deviceCommandSubject("b", "ping"),
            deviceCommandSubject("a", "ping"),
            deviceHeartbeatSubject("b"),
            "$SYS.REQ.SERVER.PING",
            "$SYS.REQ.USER.AUTH",
            "_INBOX.someone",
          ]
        ) {
          await assertPublishDenied(watch, subject);
        }
      },
    );

    await t.step(
      "device a may publish its own heartbeat and serve its own commands",
      async () => {
        const watch = watchErrors(a);
        a.subscribe("device-commands.a.>", {
          callback: (_error, msg) => {
            msg.respond("pong");
          },
        });
        await a.flush();
        a.publish(deviceHeartbeatSubject("a"), "{}");
        const reply = await operator.request(
          deviceCommandSubject("a", "ping"),
          "",
          {
            timeout: 5_000,
          },
        );
        assert.equal(reply.string(), "pong");
        await a.flush();
        assert.deepEqual(watch.errors, []);
      },
    );

    await t.step(
      "an operator cannot reach $SYS or publish heartbeats",
      async () => {
        await assertSubscribeDenied(operator, "$SYS.>");
        const watch = watchErrors(operator);
        await assertPublishDenied(watch, "$SYS.REQ.SERVER.PING");
        await assertPublishDenied(watch, deviceHeartbeatSubject("a"));
      },
    );

    const events = await stack.callout.events();
    const allowed = events.filter((e) => e.event === "auth_allowed");
    assert.deepEqual(
      allowed.map((e) => [e.subject, e.role, e.device_id]),
      [["device-a", "device", "a"], ["device-b", "device", "b"], [
        TEST_OPERATOR_SUBJECT,
        "operator",
        undefined,
      ]],
    );
  } finally {
    await Promise.all([a.close(), b.close(), operator.close()]);
  }
});

Deno.test("CalloutService issues a user JWT that expires with the token: the server ends the session, the token cannot log in again", async () => {
  await using stack = await startCalloutStack();
  const nc = await stack.connect(
    await stack.issuer.mint({ subject: "device-short", lifetimeS: 6 }),
  );
  const errors: Error[] = [];
  const watching = (async () => {
    for await (const status of nc.status()) {
      if (status.type === "error") errors.push(status.error);
    }
  })();
  let ended = false;
  const closed = nc.closed().then((error) => {
    ended = true;
    return error;
  });
  try {
    await waitFor("the session to end", () => ended, { timeoutMs: 30_000 });
  } finally {
    await nc.close();
    await watching;
  }
  assert.ok(
    errors[0] instanceof natsErrors.UserAuthenticationExpiredError,
    `expected UserAuthenticationExpiredError first, got ${errors}`,
  );
  // The client's one reconnect with the same token is refused.
  assert.ok((await closed) instanceof natsErrors.AuthorizationError);
  const refused = (await stack.callout.events()).filter((e) =>
    e.event === "auth_refused"
  );
  assert.ok(refused.length > 0, "the reconnect reached the callout");
  for (const event of refused) {
    assert.deepEqual([event.reason, event.subject], [
      "token_expired",
      "device-short",
    ]);
  }
});

Deno.test("CalloutService admits 200 logins in parallel", async () => {
  // They queue at the callout, which answers them in arrival order; on an
  // idle machine they fit in nats-server's default 2 s, but the suite runs
  // on loaded machines: give nats-server's wait room so that only a
  // refusal, not a slow machine, fails this test.
  await using stack = await startCalloutStack({ authTimeoutS: 30 });
  const tokens = await Promise.all(
    Array.from(
      { length: 200 },
      (_, i) => stack.issuer.mint({ subject: `device-p${i}` }),
    ),
  );
  const started = performance.now();
  const results = await Promise.allSettled(tokens.map((t) => stack.connect(t)));
  const elapsedMs = Math.round(performance.now() - started);
  const failed = results.filter((r) => r.status === "rejected");
  await Promise.all(
    results.map((r) => r.status === "fulfilled" ? r.value.close() : undefined),
  );
  console.log(JSON.stringify({ parallel_logins: 200, elapsed_ms: elapsedMs }));
  assert.deepEqual(
    failed.map((r) => String((r as PromiseRejectedResult).reason)),
    [],
  );
});
