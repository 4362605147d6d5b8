import type { KeepaliveReply, KeepaliveRequest } from "../../contracts/mod.ts";
import type { CommandHandler } from "../handler.ts";

/**
 * The `keepalive` handler: notes that the client of stream `request_id`
 * is still there and answers `{request_id, found}` (nothing when it was
 * published without a reply subject).
 *
 * @example
 * ```ts
 * import { keepaliveHandler } from "@harmony/fleet/agent";
 * const handlers = { keepalive: keepaliveHandler };
 * ```
 */
export const keepaliveHandler: CommandHandler<KeepaliveRequest> = (
  context,
): KeepaliveReply => {
  const id = context.request.request_id;
  return { request_id: id, found: context.streams.keepalive(id) };
};
