import assert from "node:assert/strict";
import { Logger } from "./log.ts";

Deno.test("Logger() writes *** for each secret it was given, in every field and in its children", () => {
  const lines: string[] = [];
  const log = new Logger({
    write: (line) => lines.push(line),
    secrets: ["hunter2", 'q"uote', ""],
  });
  log.info("starting", { servers: ["nats://u:hunter2@h:4222"] });
  log.child({ device_id: "d1" }).error("failed", {
    error: new Error('login as u with hunter2 and q"uote refused'),
  });
  assert.equal(lines.length, 2);
  for (const line of lines) {
    assert.doesNotMatch(line, /hunter2|q\\"uote/);
    JSON.parse(line);
  }
  assert.deepEqual(JSON.parse(lines[0]).servers, ["nats://u:***@h:4222"]);
  assert.equal(
    JSON.parse(lines[1]).error,
    "Error: login as u with *** and *** refused",
  );
});
