// The fields a ping reply and a heartbeat share, checked. Private to contracts/.
import { deviceIdProblem } from "./device_id.ts";
import { Runtime } from "./runtime.ts";
import { PayloadError } from "./payload_error.ts";
import {
  type JsonObject,
  nonNegativeIntegerField,
  oneOfField,
  stringField,
} from "./_shape.ts";

/** Reply of an agent to `ping`. Wire field names are snake_case. */
export interface PingReply {
  /** The id of the device whose agent answered. */
  device_id: string;
  /** Version of the agent software. */
  agent_version: string;
  /** Whole seconds since the agent started. */
  uptime_s: number;
  /** The agent's container runtime. */
  runtime: Runtime;
}

const RUNTIMES = Object.values(Runtime);

export function pingReplyFields(object: JsonObject, what: string): PingReply {
  const deviceId = stringField(object, "device_id", what);
  const problem = deviceIdProblem(deviceId);
  if (problem) {
    throw new PayloadError(
      `${what} field "device_id" is not a valid device id: ${problem}`,
    );
  }
  const agentVersion = stringField(object, "agent_version", what);
  if (agentVersion.length === 0) {
    throw new PayloadError(`${what} field "agent_version" must not be empty`);
  }
  return {
    device_id: deviceId,
    agent_version: agentVersion,
    uptime_s: nonNegativeIntegerField(object, "uptime_s", what),
    runtime: oneOfField(object, "runtime", RUNTIMES, what),
  };
}
