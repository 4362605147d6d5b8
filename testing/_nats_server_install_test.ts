import assert from "node:assert/strict";
import { DownloadError, stageFromRelease } from "./_nats_server_install.ts";
import { pickFreePort, tempDir } from "./mod.ts";

/** Runs `stageFromRelease` on `url` and returns the `DownloadError` it throws. */
async function releaseFailure(url: string): Promise<DownloadError> {
  await using dir = await tempDir("fleet-install-test-");
  const lines: string[] = [];
  const error = await stageFromRelease(dir.path, {
    url,
    log: (line) => lines.push(line),
  }).then(() => undefined, (error) => error);
  assert.ok(error instanceof DownloadError, String(error));
  assert.equal(error.name, "DownloadError");
  assert.equal(error.url, url);
  assert.deepEqual(lines, [`downloading the release archive ${url}…`]);
  return error;
}

Deno.test("stageFromRelease() reports a host that does not resolve in a few words", async () => {
  // .invalid never resolves (RFC 6761).
  const error = await releaseFailure("https://nats-release.invalid/a.tar.gz");
  assert.equal(error.reason, "cannot resolve nats-release.invalid");
  assert.match(
    error.message,
    /^Cannot download "https:\/\/nats-release\.invalid\/a\.tar\.gz": .*dns error/,
  );
});

Deno.test("stageFromRelease() reports a refused connection in a few words", async () => {
  const port = pickFreePort();
  const error = await releaseFailure(`http://127.0.0.1:${port}/a.tar.gz`);
  assert.equal(error.reason, `connection refused by 127.0.0.1:${port}`);
});

Deno.test("stageFromRelease() reports an HTTP error status in a few words", async () => {
  await using server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response("gone", { status: 404 }),
  );
  const url = `http://127.0.0.1:${server.addr.port}/a.tar.gz`;
  const error = await releaseFailure(url);
  assert.equal(error.reason, `HTTP 404 from 127.0.0.1:${server.addr.port}`);
});
