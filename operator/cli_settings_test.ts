import assert from "node:assert/strict";
import { CliUsageError } from "./cli_errors.ts";
import { DEFAULT_NATS_URL, resolveConnectionSettings } from "./cli_settings.ts";

Deno.test("resolveConnectionSettings() takes the servers from the first layer naming any, else the default", () => {
  const flags = { server: { value: "nats://a:1", from: "--server" } };
  const env = { server: { value: "nats://b:2", from: "NATS_URL" } };
  const first = resolveConnectionSettings([flags, env]);
  assert.deepEqual(first.servers.urls, ["nats://a:1"]);
  assert.equal(first.serversFrom, "--server");
  const second = resolveConnectionSettings([{}, env]);
  assert.deepEqual(second.servers.urls, ["nats://b:2"]);
  assert.equal(second.serversFrom, "NATS_URL");
  const none = resolveConnectionSettings([{}, {}]);
  assert.deepEqual(none.servers.urls, [DEFAULT_NATS_URL]);
  assert.equal(none.serversFrom, "default");
});

Deno.test("resolveConnectionSettings() rejects a malformed server URL, naming where it came from", () => {
  assert.throws(
    () =>
      resolveConnectionSettings([{
        server: { value: "nats://h:1,ws://x", from: "NATS_URL" },
      }]),
    (error) => {
      assert.ok(error instanceof CliUsageError);
      assert.equal(error.source, "NATS_URL");
      assert.match(
        error.message,
        /^NATS_URL: Invalid NATS server URL "ws:\/\/x": scheme "ws" is not supported/,
      );
      return true;
    },
  );
});
