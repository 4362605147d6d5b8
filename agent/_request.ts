// Pure checks of an incoming command, before any handler runs: which verb,
// which handler, whether the body and the deadline header are well formed,
// whether the deadline has already passed. Kept free of NATS so it can be
// unit tested.
import {
  decodeCommandRequest,
  ErrorKind,
  isVerb,
  parseDeviceCommandSubject,
  PayloadError,
  Verb,
} from "../contracts/mod.ts";
import type { CommandRequest } from "../contracts/mod.ts";
import type { CommandHandler, CommandHandlers } from "./handler.ts";

export interface IncomingCommand {
  deviceId: string;
  subject: string;
  data: Uint8Array;
  /** The raw `X-Harmony-Deadline` header, when present. */
  deadlineHeader?: string;
  handlers: CommandHandlers;
  /** Current time, Unix epoch milliseconds. */
  now: number;
}

export type Resolution =
  | {
    ok: true;
    verb: Verb;
    request: CommandRequest;
    handler: CommandHandler;
    deadline?: number;
  }
  | { ok: false; verb?: string; kind: ErrorKind; message: string };

const KNOWN_VERBS = Object.values(Verb).map((v) => `"${v}"`).join(", ");

export function resolveCommand(incoming: IncomingCommand): Resolution {
  const { deviceId } = incoming;
  const parts = parseDeviceCommandSubject(incoming.subject);
  if (parts === undefined || parts.deviceId !== deviceId) {
    return {
      ok: false,
      kind: ErrorKind.BadRequest,
      message:
        `Subject "${incoming.subject}" is not a command subject for device "${deviceId}"`,
    };
  }
  const verb = parts.verb;
  if (!isVerb(verb)) {
    return {
      ok: false,
      verb,
      kind: ErrorKind.BadRequest,
      message:
        `Unknown verb "${verb}" for device "${deviceId}"; known verbs: ${KNOWN_VERBS}`,
    };
  }
  let deadline: number | undefined;
  if (incoming.deadlineHeader !== undefined) {
    const raw = incoming.deadlineHeader.trim();
    deadline = /^\d{1,16}$/.test(raw) ? Number(raw) : undefined;
    if (deadline === undefined) {
      return {
        ok: false,
        verb,
        kind: ErrorKind.BadRequest,
        message:
          `Bad "${verb}" request for device "${deviceId}": header X-Harmony-Deadline must be Unix epoch milliseconds in decimal, got ${
            JSON.stringify(incoming.deadlineHeader)
          }`,
      };
    }
  }
  let request: CommandRequest;
  try {
    request = decodeCommandRequest(incoming.data, verb);
  } catch (error) {
    if (!(error instanceof PayloadError)) throw error;
    return {
      ok: false,
      verb,
      kind: ErrorKind.BadRequest,
      message:
        `Bad "${verb}" request for device "${deviceId}": ${error.message}`,
    };
  }
  const handler = incoming.handlers[verb];
  if (handler === undefined) {
    return {
      ok: false,
      verb,
      kind: ErrorKind.Unsupported,
      message: `Verb "${verb}" is not available on device "${deviceId}"`,
    };
  }
  if (deadline !== undefined && deadline <= incoming.now) {
    return {
      ok: false,
      verb,
      kind: ErrorKind.DeadlineExceeded,
      message: `Deadline of "${verb}" request passed ${
        incoming.now - deadline
      } ms before device "${deviceId}" received it`,
    };
  }
  return { ok: true, verb, request, handler, deadline };
}
