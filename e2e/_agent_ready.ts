/**
 * Waits until an agent answers ping. Private to `e2e/`.
 */
import type { NatsConnection } from "@nats-io/nats-core";
import {
  decodePingReply,
  deviceCommandSubject,
  deviceHeartbeatSubject,
  type PingReply,
  Verb,
} from "../contracts/mod.ts";
import type { AgentProcess } from "./agent_process.ts";
import { timer } from "./_child.ts";

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
 * Resolves with the first ping reply of `agent`'s device, requested from
 * `nc`. Pings as soon as the agent's first heartbeat arrives (it is
 * published once the agent has subscribed), and every 50 ms regardless, in
 * case the heartbeat was missed. Rejects when the agent exits, when
 * `timeoutMs` passes, or when `signal` aborts.
 */
export async function waitForAgent(
  nc: NatsConnection,
  agent: AgentProcess,
  options: { timeoutMs: number; signal?: AbortSignal },
): Promise<PingReply> {
  const { deviceId } = agent;
  const subject = deviceCommandSubject(deviceId, Verb.Ping);
  // The first heartbeat wakes the loop: it is published once subscribed.
  let wake: () => void = () => {};
  let woken = false;
  const sub = nc.subscribe(deviceHeartbeatSubject(deviceId), {
    max: 1,
    callback: () => {
      woken = true;
      wake();
    },
  });
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  try {
    while (true) {
      if (options.signal?.aborted) {
        throw new AgentNotReadyError(
          deviceId,
          `Stopped waiting for the agent of device "${deviceId}"`,
          { cause: options.signal.reason },
        );
      }
      if (agent.exitStatus) {
        throw new AgentNotReadyError(
          deviceId,
          `The agent of device "${deviceId}" exited with code ${agent.exitStatus.code} before answering ping; last lines of "${agent.logPath}":\n${await agent
            .logTail()}`,
        );
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new AgentNotReadyError(
          deviceId,
          `The agent of device "${deviceId}" did not answer ping within ${options.timeoutMs} ms (last error: ${
            lastError instanceof Error ? lastError.message : String(lastError)
          }); last lines of "${agent.logPath}":\n${await agent.logTail()}`,
          { cause: lastError },
        );
      }
      try {
        const reply = await nc.request(subject, "", {
          timeout: Math.min(left, PING_TIMEOUT_MS),
        });
        return decodePingReply(reply.data);
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
