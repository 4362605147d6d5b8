// Pure checks of an incoming command, before any handler runs: which verb,
// which handler, whether the body and the deadline header are well formed,
// whether the deadline has already passed. Kept free of NATS so it can be
// unit tested.
import {
  COMMAND_SUBJECT_PREFIX,
  decodeCommandRequest,
  ErrorKind,
  Header,
  isVerb,
  knownVerbsList,
  PayloadError,
  type Verb,
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
  /** `device-commands.<deviceId>.`, if the caller has it at hand. */
  subjectPrefix?: string;
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

const KNOWN_VERBS = knownVerbsList();

export function resolveCommand(incoming: IncomingCommand): Resolution {
  const { deviceId, subject } = incoming;
  const prefix = incoming.subjectPrefix ??
    `${COMMAND_SUBJECT_PREFIX}.${deviceId}.`;
  if (!subject.startsWith(prefix)) {
    return {
      ok: false,
      kind: ErrorKind.BadRequest,
      message:
        `Subject "${subject}" is not a command subject for device "${deviceId}"`,
    };
  }
  // Everything after the device id, dots included ("ping.extra" is unknown).
  const verb = subject.slice(prefix.length);
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

/** The protocol's request headers, as sent; see {@linkcode readRequestHeaders}. */
export interface RequestHeaders {
  /** `X-Harmony-Request-Id`. */
  requestId?: string;
  /** `X-Harmony-Deadline`, unchecked. */
  deadline?: string;
  /** `X-Harmony-Operator-Sub`. */
  operatorSub?: string;
}

const LOWER = {
  requestId: Header.RequestId.toLowerCase(),
  deadline: Header.Deadline.toLowerCase(),
  operatorSub: Header.OperatorSub.toLowerCase(),
} as const;

/**
 * Reads the `X-Harmony-*` request headers in one pass over `headers` (a
 * `MsgHdrs` is such an iterable). The exact spelling is matched first and
 * wins; another letter case is accepted too. The first value of a header
 * given twice is taken. One pass, because each `MsgHdrs.has`/`get` builds
 * arrays: at thousands of requests a second, that was most of what the
 * agent allocated.
 */
export function readRequestHeaders(
  headers: Iterable<[string, string[]]> | undefined,
): RequestHeaders {
  const found: RequestHeaders = {};
  if (headers === undefined) return found;
  let inexact: [string, string[]][] | undefined;
  for (const entry of headers) {
    const [key, values] = entry;
    if (key === Header.RequestId) found.requestId = values[0];
    else if (key === Header.Deadline) found.deadline = values[0];
    else if (key === Header.OperatorSub) found.operatorSub = values[0];
    else if (key.length >= 18 && (key[0] === "x" || key[0] === "X")) {
      (inexact ??= []).push(entry);
    }
  }
  for (const [key, values] of inexact ?? []) {
    const lower = key.toLowerCase();
    if (lower === LOWER.requestId) found.requestId ??= values[0];
    else if (lower === LOWER.deadline) found.deadline ??= values[0];
    else if (lower === LOWER.operatorSub) found.operatorSub ??= values[0];
  }
  return found;
}
