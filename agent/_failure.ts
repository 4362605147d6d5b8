// What a throwing handler is answered with: a HandlerError's kind and
// message, anything else `internal` (logged with its stack, never sent).
// Private to agent/.
import { ErrorKind } from "../contracts/mod.ts";
import { HandlerError } from "./handler.ts";
import type { Logger } from "./log.ts";

export interface FailureContext {
  subject: string;
  verb?: string;
  requestId?: string;
  operatorSub?: string;
  deviceId: string;
}

export function handlerFailure(
  error: unknown,
  context: FailureContext,
  logger: Logger,
): { kind: ErrorKind; message: string } {
  if (error instanceof HandlerError) {
    return { kind: error.kind, message: error.message };
  }
  logger.error("handler_failed", {
    subject: context.subject,
    request_id: context.requestId,
    operator_sub: context.operatorSub,
    verb: context.verb,
    error,
    stack: error instanceof Error ? error.stack : undefined,
  });
  return {
    kind: ErrorKind.Internal,
    message:
      `Cannot run "${context.verb}" on device "${context.deviceId}": internal error (${
        error instanceof Error ? error.name : typeof error
      }); see the agent's log`,
  };
}
