// The single-reply path's pieces, private to operator/: the connection's
// user and inbox prefix, classifying what nats-core raised, reading an
// error reply, and a request that an AbortSignal can cancel.
import { createInbox, errors as natsErrors } from "@nats-io/nats-core";
import type { Msg, MsgHdrs, NatsConnection } from "@nats-io/nats-core";
import { readErrorReply } from "../contracts/mod.ts";
import {
  type CommandError,
  type CommandErrorOptions,
  CommandTimeoutError,
  DeviceOfflineError,
  NatsTransportError,
  RemoteCommandError,
} from "./errors.ts";

// The connection's user name, when its implementation exposes its options
// (nats-core's NatsConnectionImpl does). Only `user`: never a secret.
export function connectionUser(nc: NatsConnection): string | undefined {
  const user = (nc as { options?: { user?: unknown } }).options?.user;
  return typeof user === "string" && user !== "" ? user : undefined;
}

function connectionInboxPrefix(nc: NatsConnection): string | undefined {
  const prefix = (nc as { options?: { inboxPrefix?: unknown } }).options
    ?.inboxPrefix;
  return typeof prefix === "string" && prefix !== "" ? prefix : undefined;
}

// nats-core raises NoRespondersError itself or as the cause of a
// RequestError. Names are checked too, so a second copy of nats-core (a
// different transport build) is still recognised.
function isNoResponders(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (
    error instanceof natsErrors.NoRespondersError ||
    error.name === "NoResponders" || error.name === "NoRespondersError"
  ) {
    return true;
  }
  return error.cause !== error && isNoResponders(error.cause);
}

function isTimeout(error: unknown): boolean {
  return error instanceof natsErrors.TimeoutError ||
    (error instanceof Error && error.name === "TimeoutError");
}

export function classifyRequestError(
  error: unknown,
  context: CommandErrorOptions,
  timeoutMs: number,
): CommandError {
  if (isNoResponders(error)) return new DeviceOfflineError(context);
  if (isTimeout(error)) {
    return new CommandTimeoutError({ ...context, timeoutMs });
  }
  return new NatsTransportError(context);
}

// An error reply: the body says kind and message; when it does not parse,
// the ADR-32 headers still say code and message (see readErrorReply).
export function remoteError(
  msg: Msg,
  context: CommandErrorOptions,
): RemoteCommandError {
  const { kind, code, message } = readErrorReply(
    (name) => msg.headers?.get(name),
    msg.data,
  );
  return new RemoteCommandError({
    ...context,
    kind,
    code,
    remoteMessage: message,
  });
}

// A request that can be aborted. nats-core's `request()` cannot be
// cancelled, so this one uses its own inbox subscription, timer and abort
// listener, and removes all three as soon as it settles.
export function requestWithSignal(
  nc: NatsConnection,
  subject: string,
  body: Uint8Array,
  timeoutMs: number,
  headers: MsgHdrs,
  signal: AbortSignal,
): Promise<Msg> {
  return new Promise<Msg>((resolve, reject) => {
    let settled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let sub: ReturnType<NatsConnection["subscribe"]> | undefined;
    const settle = (error: unknown, msg?: Msg) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      if (sub !== undefined && !sub.isClosed()) sub.unsubscribe();
      if (error === undefined) resolve(msg!);
      else reject(error);
    };
    const onAbort = () => settle(signal.reason);
    try {
      sub = nc.subscribe(createInbox(connectionInboxPrefix(nc)), {
        callback: (error, msg) => {
          if (error) settle(error);
          else if (msg.data.length === 0 && msg.headers?.code === 503) {
            settle(new natsErrors.NoRespondersError(subject));
          } else settle(undefined, msg);
        },
      });
      signal.addEventListener("abort", onAbort, { once: true });
      timer = setTimeout(
        () => settle(new natsErrors.TimeoutError()),
        timeoutMs,
      );
      nc.publish(subject, body, { reply: sub.getSubject(), headers });
    } catch (error) {
      settle(error);
    }
  });
}
