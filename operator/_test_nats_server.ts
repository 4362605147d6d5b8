// Test support for operator/*_integration_test.ts: a real nats-server
// process on a free port with one user/password, held with `await using`.
// The binary is found by the harness's `findNatsServer` (NATS_SERVER_BIN,
// PATH, the toolkit's cache, else installed). Not part of the public API.
import { findNatsServer } from "../e2e/nats_server_binary.ts";

let binary: Promise<string> | undefined;

/** User/password every test server accepts. */
export const TEST_USER = "operator-test";
/** Password of {@linkcode TEST_USER}. */
export const TEST_PASSWORD = "s3cret-for-tests";

/** A running nats-server; disposing it stops the process. */
export interface TestNatsServer extends AsyncDisposable {
  /** `nats://127.0.0.1:<port>`. */
  readonly url: string;
  /** The TCP port it listens on. */
  readonly port: number;
}

/** Starts a nats-server with user/password auth and waits until it accepts connections. */
export async function startTestNatsServer(): Promise<TestNatsServer> {
  const bin = await (binary ??= findNatsServer());
  const port = freePort();
  const dir = await Deno.makeTempDir({ prefix: "fleet-operator-test-" });
  const config = `${dir}/nats.conf`;
  await Deno.writeTextFile(
    config,
    [
      `listen: "127.0.0.1:${port}"`,
      `authorization { users: [ { user: "${TEST_USER}", password: "${TEST_PASSWORD}" } ] }`,
      "",
    ].join("\n"),
  );
  const child = new Deno.Command(bin, {
    args: ["-c", config],
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let disposed = false;
  const dispose = async () => {
    if (disposed) return;
    disposed = true;
    try {
      child.kill("SIGTERM");
    } catch {
      // already exited
    }
    await child.status;
    await Deno.remove(dir, { recursive: true });
  };
  try {
    await waitForPort(port, child.status, 5000);
  } catch (error) {
    await dispose();
    throw error;
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    [Symbol.asyncDispose]: dispose,
  };
}

/** A TCP port nothing listens on right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function waitForPort(
  port: number,
  exited: Promise<Deno.CommandStatus>,
  timeoutMs: number,
): Promise<void> {
  let gone = false;
  exited.then(() => gone = true);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (gone) throw new Error(`nats-server on port ${port} exited at start`);
    try {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      conn.close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
  throw new Error(
    `nats-server did not listen on port ${port} within ${timeoutMs} ms`,
  );
}
