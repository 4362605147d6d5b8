/**
 * `POST` with `Connection: Upgrade` over a raw unix connection: podman's
 * exec start answers `101 UPGRADED` and then uses the connection both ways
 * (stdin in, multiplexed output out), which `fetch` cannot do. Private to
 * `podman/`.
 */
import { sendRequest } from "./_http1.ts";

/** An upgraded connection and the bytes that came with the answer's head. */
export interface Upgraded {
  /** The connection, now a raw stream. */
  conn: Deno.UnixConn;
  /** Stream bytes read together with the head. */
  leftover: Uint8Array;
}

/** Where the request goes and what it is for (for errors). */
export interface UpgradeTarget {
  /** The unix socket. */
  socket: string;
  /** The full path, e.g. `/v4.0.0/libpod/exec/<id>/start`. */
  path: string;
  /** `Cannot …` for error messages. */
  action: string;
}

/**
 * Sends `POST path` with a JSON `body` and an upgrade request; resolves
 * once podman answered 101 (or 2xx), with the raw connection.
 *
 * @throws {PodmanUnavailableError} when the socket cannot be reached.
 * @throws {PodmanApiError} (or a subclass) for an error answer.
 */
export async function postUpgrade(
  target: UpgradeTarget,
  body: string,
): Promise<Upgraded> {
  const { conn, rest } = await sendRequest({
    socket: target.socket,
    method: "POST",
    target: target.path,
    action: target.action,
    headers: {
      "Content-Type": "application/json",
      Connection: "Upgrade",
      Upgrade: "tcp",
    },
    body: new TextEncoder().encode(body),
  });
  return { conn, leftover: rest };
}
