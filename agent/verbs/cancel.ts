import type { CancelReply, CancelRequest } from "../../contracts/mod.ts";
import type { CommandHandler } from "../handler.ts";

/**
 * The `cancel` handler: ends the open stream of `request_id` with
 * `cancelled` (the end message is published before the answer) and
 * answers `{request_id, found}`.
 *
 * @example
 * ```ts
 * import { cancelHandler } from "@harmony/fleet/agent";
 * const handlers = { cancel: cancelHandler };
 * ```
 */
export const cancelHandler: CommandHandler<CancelRequest> = (
  context,
): CancelReply => {
  const id = context.request.request_id;
  return { request_id: id, found: context.streams.cancel(id) };
};
