// What TLS costs, for `deno task bench`: connect() to a mutual-TLS,
// TLS-first nats-server against a plain one, and a ping over a stack with
// TLS against one without, interleaved in the same run.
import { connect } from "../nats/mod.ts";
import { FleetCommandsClient } from "../operator/mod.ts";
import { Stack } from "../e2e/mod.ts";
import {
  NatsServerProcess,
  tempDir,
  TEST_ADMIN,
  writeTlsFiles,
} from "../testing/mod.ts";

/** Connects measured to each server. */
export const CONNECT_ROUNDS = 50;
const CONNECT_WARMUP = 5;
/** Pings measured on each stack. */
export const TLS_PING_ROUNDS = 2000;
const TLS_PING_WARMUP = 200;

/**
 * Milliseconds from `connect()` to a usable connection (nats-core resolves
 * after the server's first PONG), to a plain server and to a mutual-TLS,
 * TLS-first one, alternating which goes first.
 */
export async function measureConnect(): Promise<
  { plain: number[]; tls: number[] }
> {
  await using dir = await tempDir("fleet-bench-tls-");
  const files = await writeTlsFiles(`${dir.path}/tls`, { clients: ["admin"] });
  await using plainServer = await NatsServerProcess.start({
    config: { admin: TEST_ADMIN },
  });
  await using tlsServer = await NatsServerProcess.start({
    config: {
      admin: TEST_ADMIN,
      tls: {
        ...files.server,
        caFile: files.caFile,
        verify: true,
        handshakeFirst: true,
      },
    },
  });
  const auth = { user: TEST_ADMIN.user, pass: TEST_ADMIN.password };
  const plainOptions = { servers: plainServer.url, ...auth };
  const tlsOptions = {
    servers: tlsServer.url.replace("nats://", "tls://"),
    ...auth,
    tls: {
      caFile: files.caFile,
      ...files.clients.admin,
      handshakeFirst: true,
    },
  };
  const once = async (options: Parameters<typeof connect>[0]) => {
    const started = performance.now();
    const nc = await connect(options);
    const ms = performance.now() - started;
    await nc.close();
    return ms;
  };
  const plain: number[] = [];
  const tls: number[] = [];
  for (let round = 0; round < CONNECT_WARMUP + CONNECT_ROUNDS; round++) {
    const tlsFirst = round % 2 === 0;
    let tlsMs = 0;
    if (tlsFirst) tlsMs = await once(tlsOptions);
    const plainMs = await once(plainOptions);
    if (!tlsFirst) tlsMs = await once(tlsOptions);
    if (round >= CONNECT_WARMUP) {
      plain.push(plainMs);
      tls.push(tlsMs);
    }
  }
  return { plain, tls };
}

/**
 * Microseconds of `FleetCommandsClient.ping` on a plain stack and on a
 * stack with `tls: true`, both up at once, interleaved.
 */
export async function measureTlsPing(): Promise<
  { plain: number[]; tls: number[] }
> {
  await using plainStack = await Stack.bringUp({ devices: 1 });
  await using tlsStack = await Stack.bringUp({ devices: 1, tls: true });
  const plainClient = new FleetCommandsClient(plainStack.operatorClient);
  const tlsClient = new FleetCommandsClient(tlsStack.operatorClient);
  const [plainDevice] = plainStack.deviceIds;
  const [tlsDevice] = tlsStack.deviceIds;
  const plain: number[] = [];
  const tls: number[] = [];
  for (let round = 0; round < TLS_PING_WARMUP + TLS_PING_ROUNDS; round++) {
    const tlsFirst = round % 2 === 0;
    let tlsUs = 0;
    if (tlsFirst) tlsUs = await timeUs(() => tlsClient.ping(tlsDevice));
    const plainUs = await timeUs(() => plainClient.ping(plainDevice));
    if (!tlsFirst) tlsUs = await timeUs(() => tlsClient.ping(tlsDevice));
    if (round >= TLS_PING_WARMUP) {
      plain.push(plainUs);
      tls.push(tlsUs);
    }
  }
  return { plain, tls };
}

async function timeUs(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return (performance.now() - started) * 1000;
}
