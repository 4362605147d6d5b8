/**
 * Waits until an agent answers ping. Private to `e2e/`.
 */
import type { NatsConnection } from "../nats/mod.ts";
import {
  decodeHeartbeatMessage,
  decodePingReply,
  deviceCommandSubject,
  deviceHeartbeatSubject,
  PayloadError,
  type PingReply,
  Verb,
} from "../contracts/mod.ts";
import type { AgentProcess } from "../testing/agent_process.ts";
import { timer } from "../testing/child_process.ts";
import { allOrFirstError } from "./_stack_parts.ts";

/** Between pings while neither a heartbeat nor an answer has come. */
const POLL_MS = 50;
/** Longest wait for one ping's reply. */
const PING_TIMEOUT_MS = 2_000;

/** Thrown when an agent does not become ready; carries its log tail. */
export class AgentNotReadyError extends Error {
  /** The device whose agent is not ready. */
  readonly deviceId: string;

  /** Builds the error for `deviceId`. */
  constructor(deviceId: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AgentNotReadyError";
    this.deviceId = deviceId;
  }
}

/**
 * What {@linkcode waitForAgent} needs of an agent: an `AgentProcess`, or
 * the same view of an agent in a container.
 */
export type ReadyAgent = Pick<
  AgentProcess,
  "deviceId" | "exitStatus" | "exited" | "logPath" | "logTail"
>;

/** Options of {@linkcode waitForAgent}. */
export interface WaitForAgentOptions {
  /** Give up after this long. */
  timeoutMs: number;
  /** Give up when this aborts. @default {never} */
  signal?: AbortSignal;
  /**
   * Called with each heartbeat on the device's subject that is ignored: a
   * `DeviceIdMismatchError` when its body names another device (a forgery:
   * the subject is what permissions enforce), else a `PayloadError` for a
   * malformed one.
   *
   * @default {prints `[e2e] ignored <message>` to stderr}
   */
  onBadHeartbeat?: (error: PayloadError) => void;
}

/**
 * Resolves with the first ping reply of `agent`'s device, requested from
 * `nc`. Pings as soon as the agent's first heartbeat arrives (it is
 * published once the agent has subscribed), and every 50 ms regardless, in
 * case the heartbeat was missed. Only the ping reply makes the agent ready,
 * and only when it names the device; a heartbeat whose body names another
 * device than its subject is ignored and flagged (`onBadHeartbeat`, and the
 * error message if the agent never becomes ready). Rejects when the agent
 * exits, when `timeoutMs` passes, or when `signal` aborts.
 */
export async function waitForAgent(
  nc: NatsConnection,
  agent: ReadyAgent,
  options: WaitForAgentOptions,
): Promise<PingReply> {
  const { deviceId } = agent;
  const subject = deviceCommandSubject(deviceId, Verb.Ping);
  const onBadHeartbeat = options.onBadHeartbeat ??
    ((error: PayloadError) => console.error(`[e2e] ignored ${error.message}`));
  const ignored: string[] = [];
  // A heartbeat wakes the loop: the first is published once subscribed.
  let wake: () => void = () => {};
  let woken = false;
  const sub = nc.subscribe(deviceHeartbeatSubject(deviceId), {
    callback: (_error, msg) => {
      try {
        decodeHeartbeatMessage(msg.subject, msg.data);
      } catch (error) {
        if (!(error instanceof PayloadError)) throw error;
        ignored.push(error.message);
        onBadHeartbeat(error);
        return;
      }
      woken = true;
      wake();
    },
  });
  const notReady = (message: string, cause?: unknown) =>
    new AgentNotReadyError(
      deviceId,
      ignored.length === 0
        ? message
        : `${message}; ignored ${ignored.length} heartbeat${
          ignored.length === 1 ? "" : "s"
        }: ${ignored.join("; ")}`,
      { cause },
    );
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  try {
    while (true) {
      if (options.signal?.aborted) {
        throw notReady(
          `Stopped waiting for the agent of device "${deviceId}"${
            lastError === undefined
              ? ""
              : ` (last error: ${errorText(lastError)})`
          }`,
          options.signal.reason,
        );
      }
      if (agent.exitStatus) {
        throw notReady(
          `The agent of device "${deviceId}" exited with code ${agent.exitStatus.code} before answering ping; last lines of "${agent.logPath}":\n${await agent
            .logTail()}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw notReady(
          `The agent of device "${deviceId}" did not answer ping within ${options.timeoutMs} ms (last error: ${
            errorText(lastError)
          }); last lines of "${agent.logPath}":\n${await agent.logTail()}`,
          lastError,
        );
      }
      try {
        const reply = await nc.request(subject, "", {
          timeout: Math.min(left, PING_TIMEOUT_MS),
        });
        return pingReplyOf(deviceId, reply.data);
      } catch (error) {
        lastError = error;
      }
      if (woken) {
        woken = false;
        continue;
      }
      const pause = timer(POLL_MS, undefined);
      wake = pause.cancel;
      options.signal?.addEventListener("abort", pause.cancel, { once: true });
      await Promise.race([pause.promise, agent.exited]);
      pause.cancel();
      options.signal?.removeEventListener("abort", pause.cancel);
    }
  } finally {
    sub.unsubscribe();
  }
}

/** The ping reply in `data`, which must name `deviceId`. */
function pingReplyOf(deviceId: string, data: Uint8Array): PingReply {
  const reply = decodePingReply(data);
  if (reply.device_id !== deviceId) {
    throw new PayloadError(
      `ping reply field "device_id" is ${
        JSON.stringify(reply.device_id)
      }, expected ${JSON.stringify(deviceId)}`,
    );
  }
  return reply;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Waits for every agent as {@linkcode waitForAgent} does, all at once; the
 * first that fails stops the others' waiting, and it settles only once
 * every wait has (`allOrFirstError`), so nothing still runs when the
 * caller tears down.
 */
export async function waitForAgents(
  nc: NatsConnection,
  agents: readonly ReadyAgent[],
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<void> {
  const giveUp = new AbortController();
  const signal = options.signal
    ? AbortSignal.any([giveUp.signal, options.signal])
    : giveUp.signal;
  const waits = agents.map((agent) =>
    waitForAgent(nc, agent, { timeoutMs: options.timeoutMs, signal }).catch(
      (error) => {
        giveUp.abort(error);
        throw error;
      },
    )
  );
  await allOrFirstError(waits);
}
