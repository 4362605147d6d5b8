import assert from "node:assert/strict";
import { listenForInterrupt } from "./interrupt.ts";
import { ExitCode } from "./exit_codes.ts";

Deno.test("listenForInterrupt() with a given signal: 130 for an abort, 143 for reason SIGTERM, undefined before", () => {
  const int = new AbortController();
  using a = listenForInterrupt(int.signal);
  assert.equal(a.exitCode, undefined);
  int.abort("SIGINT");
  assert.equal(a.exitCode, ExitCode.Interrupted);
  const term = new AbortController();
  using b = listenForInterrupt(term.signal);
  term.abort("SIGTERM");
  assert.equal(b.exitCode, ExitCode.Terminated);
});

Deno.test("listenForInterrupt() without a signal listens for SIGINT and SIGTERM until disposed", () => {
  const interrupt = listenForInterrupt();
  assert.equal(interrupt.signal.aborted, false);
  assert.equal(interrupt.exitCode, undefined);
  interrupt[Symbol.dispose]();
  interrupt[Symbol.dispose]();
});
