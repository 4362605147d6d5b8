/**
 * Which node of a stack's nats-server cluster each agent is connected to,
 * from the agents' own logs (`nats_connected` / `nats_reconnected`). Used
 * by the failover tests and by `bench/` to kill a node that has agents.
 * Private to `e2e/`.
 */
import { agentEvents } from "../testing/agent_log.ts";
import type { Stack } from "./stack.ts";

/**
 * The index of the node each device's agent last (re)connected to, by
 * device id; a device whose log names no node is left out.
 */
export async function agentNodes(stack: Stack): Promise<Map<string, number>> {
  const cluster = stack.natsCluster;
  const placement = new Map<string, number>();
  for (const deviceId of stack.deviceIds) {
    const events = await agentEvents(stack.agent(deviceId));
    const last = events.findLast((e) =>
      e.event === "nats_connected" || e.event === "nats_reconnected"
    );
    const port = String(last?.server ?? "").match(/:(\d+)$/)?.[1];
    const node = cluster.nodes.find((n) => String(n.port) === port);
    if (node) placement.set(deviceId, node.index);
  }
  return placement;
}

/**
 * The node with the most agents (the lowest index on a tie), and those
 * agents' device ids.
 */
export async function busiestNode(
  stack: Stack,
): Promise<{ index: number; deviceIds: string[] }> {
  const placement = await agentNodes(stack);
  let best = { index: 0, deviceIds: [] as string[] };
  for (const node of stack.natsCluster.nodes) {
    const deviceIds = [...placement].filter(([, i]) => i === node.index).map((
      [id],
    ) => id);
    if (deviceIds.length > best.deviceIds.length) {
      best = { index: node.index, deviceIds };
    }
  }
  return best;
}
