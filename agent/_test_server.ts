// Test helper: an in-process CommandServer for DEVICE on a real
// nats-server (device and admin users), and raw-NATS helpers to read a
// stream's messages as sent. Not published.
import type { Msg, NatsConnection } from "@nats-io/nats-core";
import { createInbox, headers as natsHeaders } from "@nats-io/nats-core";
import { connect } from "../nats/mod.ts";
import { Header } from "../contracts/mod.ts";
import { CommandServer, type CommandServerOptions } from "./command_server.ts";
import type { CommandHandlers } from "./handler.ts";
import { Logger } from "./log.ts";
import { NatsServerProcess, TEST_ADMIN, waitFor } from "../testing/mod.ts";

export const DEVICE = "dev-1";
export const OTHER_DEVICE = "dev-2";

export interface ServerFixture {
  /** The agent side: connected as the device's user. */
  agentNc: NatsConnection;
  /** The operator side: connected as admin. */
  operatorNc: NatsConnection;
  /** Connected as OTHER_DEVICE's user. */
  otherNc: NatsConnection;
  /** JSON log lines written by the server. */
  logs: Record<string, unknown>[];
  logger: Logger;
  newServer(
    handlers?: CommandHandlers,
    options?: Partial<CommandServerOptions>,
  ): CommandServer;
}

export async function withServer(
  fn: (fixture: ServerFixture) => Promise<void>,
  options: { deviceResponses?: { max: number; expires: string } } = {},
): Promise<void> {
  await using nats = await NatsServerProcess.start({
    config: {
      admin: TEST_ADMIN,
      deviceResponses: options.deviceResponses,
      devices: [DEVICE, OTHER_DEVICE].map((deviceId) => ({
        deviceId,
        user: `device-${deviceId}`,
        password: `${deviceId}-pw`,
      })),
    },
  });
  const as = (user: string, pass: string) =>
    connect({ servers: nats.url, user, pass });
  const agentNc = await as(`device-${DEVICE}`, `${DEVICE}-pw`);
  const otherNc = await as(`device-${OTHER_DEVICE}`, `${OTHER_DEVICE}-pw`);
  const operatorNc = await as(TEST_ADMIN.user, TEST_ADMIN.password);
  try {
    const logs: Record<string, unknown>[] = [];
    const logger = new Logger({
      write: (line) => logs.push(JSON.parse(line)),
      level: "debug",
    });
    await fn({
      agentNc,
      operatorNc,
      otherNc,
      logs,
      logger,
      newServer: (handlers, options) =>
        new CommandServer(agentNc, {
          deviceId: DEVICE,
          runtime: "disabled",
          handlers,
          logger,
          ...options,
        }),
    });
  } finally {
    await Promise.all([agentNc.close(), otherNc.close(), operatorNc.close()]);
  }
}

/** A message received, with when (performance.now()). */
export interface Received {
  msg: Msg;
  at: number;
}

/** The raw messages of one streamed reply, as they arrive. */
export interface RawStream {
  received: Received[];
  /** Waits for the terminal message (end or error reply). */
  terminal(): Promise<Received>;
  /** Headers of message `i`. */
  header(i: number, name: string): string;
  /** The data messages' bytes, joined. */
  data(): Uint8Array;
  /** Stops listening. */
  close(): void;
}

export function isTerminal(msg: Msg): boolean {
  return Boolean(
    msg.headers?.get("X-Harmony-End") ||
      msg.headers?.get(Header.ServiceErrorCode),
  );
}

/** Sends a request on `subject` and collects what comes back, raw. */
export function rawStream(
  nc: NatsConnection,
  subject: string,
  body: unknown,
  options: { requestId?: string; deadline?: number; operatorSub?: string } = {},
): RawStream {
  const received: Received[] = [];
  const inbox = createInbox();
  const sub = nc.subscribe(inbox, {
    callback: (_error, msg) => {
      received.push({ msg, at: performance.now() });
    },
  });
  const headers = natsHeaders();
  let hasHeaders = false;
  for (const value of Object.values(options)) hasHeaders ||= !!value;
  if (options.requestId) headers.set(Header.RequestId, options.requestId);
  if (options.deadline) {
    headers.set(Header.Deadline, String(options.deadline));
  }
  if (options.operatorSub) {
    headers.set(Header.OperatorSub, options.operatorSub);
  }
  nc.publish(
    subject,
    typeof body === "string" ? body : JSON.stringify(body),
    { reply: inbox, headers: hasHeaders ? headers : undefined },
  );
  return {
    received,
    terminal: () =>
      waitFor(
        `the terminal message on ${subject}`,
        () => received.find((r) => isTerminal(r.msg)),
      ),
    header: (i, name) => received[i].msg.headers?.get(name) ?? "",
    data: () => {
      const parts = received.filter((r) =>
        r.msg.headers?.get("X-Harmony-Stream")
      );
      const out = new Uint8Array(
        parts.reduce((n, r) => n + r.msg.data.length, 0),
      );
      let offset = 0;
      for (const r of parts) {
        out.set(r.msg.data, offset);
        offset += r.msg.data.length;
      }
      return out;
    },
    close: () => sub.unsubscribe(),
  };
}

/** A promise resolved from outside. */
export function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Resolves when `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
