// Asserts that nats-server refuses a connection a subscription or a publish.
import assert from "node:assert/strict";
import { PermissionViolationError } from "@nats-io/nats-core";
import type { NatsConnection } from "@nats-io/nats-core";

/** The async errors of a connection, as {@linkcode watchErrors} collects them. */
export interface ErrorWatch {
  /** The connection watched. */
  readonly nc: NatsConnection;
  /** Errors received and not yet taken by `next()`. */
  readonly errors: Error[];
  /** Ends when the connection closes. */
  readonly done: Promise<void>;
  /** Takes the next error, waiting up to 2 s for one; `undefined` if none came. */
  next(): Promise<Error | undefined>;
}

/** Collects `nc`'s async errors (e.g. publish permission violations). */
export function watchErrors(nc: NatsConnection): ErrorWatch {
  const errors: Error[] = [];
  let wake = () => {};
  const done = (async () => {
    for await (const event of nc.status()) {
      if (event.type === "error") {
        errors.push(event.error);
        wake();
      }
    }
  })();
  return {
    nc,
    errors,
    done,
    async next(): Promise<Error | undefined> {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        wake = resolve;
        if (errors.length > 0) resolve();
        timer = setTimeout(resolve, 2000);
      });
      clearTimeout(timer);
      return errors.shift();
    },
  };
}

/**
 * Asserts that the server refuses `nc` a subscription to `subject`: its
 * `-ERR` closes the subscription before the flush's PONG comes.
 */
export async function assertSubscribeDenied(
  nc: NatsConnection,
  subject: string,
): Promise<void> {
  const sub = nc.subscribe(subject);
  const closed = await Promise.race([
    sub.closed,
    nc.flush().then(() => "still subscribed"),
  ]);
  assert.ok(
    closed instanceof PermissionViolationError,
    `${subject}: ${closed}`,
  );
  assert.equal(closed.operation, "subscription");
  assert.equal(closed.subject, subject);
}

/**
 * Asserts that the server refuses the watched connection a publish on
 * `subject`: the next error `watch` sees is a publish permission violation
 * for it.
 */
export async function assertPublishDenied(
  watch: ErrorWatch,
  subject: string,
): Promise<void> {
  watch.nc.publish(subject, "{}");
  const error = await watch.next();
  assert.ok(error instanceof PermissionViolationError, `${subject}: ${error}`);
  assert.equal(error.operation, "publish");
  assert.equal(error.subject, subject);
}
