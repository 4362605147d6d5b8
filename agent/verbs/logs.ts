import { type LogsRequest, parseRfc3339 } from "../../contracts/mod.ts";
import type { PodmanClient } from "../../podman/mod.ts";
import type { StreamChunk } from "../../contracts/mod.ts";
import type { StreamHandler } from "../handler.ts";
import { podmanFailure, runtimeDisabled } from "./_container_errors.ts";

/** How the container verbs (`logs`, container `exec`) reach podman. */
export interface ContainerAccess {
  /**
   * The podman client (its socket is the agent's `[runtime] socket`).
   * Without one, the container verbs answer `unsupported`.
   *
   * @default {undefined} (`runtime_enabled = false`)
   */
  podman?: PodmanClient;
  /**
   * Only containers with this label (`key=value` or `key`) are visible;
   * any other is `not_found`, like a missing one (`[runtime]
   * container_label`).
   *
   * @default {undefined} (every container)
   */
  containerLabel?: string;
}

/**
 * The `logs` handler: the container's log through podman (`tail`,
 * `since`, `until`, `timestamps`, `follow`, `stdout`, `stderr`; both
 * outputs by default), as `podman logs` prints it. The stream ends `eof`
 * at the log's end, or for `follow` when the container exits; the command
 * server cuts the data at line ends, applies `limit_bytes`, the deadline
 * (not for `follow`), cancel and keepalives, and aborts the podman request
 * when the stream ends early. Errors: `unsupported` without podman,
 * `not_found` for a container that is missing or lacks the label, and an
 * error reply (`internal`, naming podman's problem) when podman fails
 * mid-stream — never a quiet end.
 *
 * @example
 * ```ts ignore
 * import { logsHandler } from "@harmony/fleet/agent";
 * import { PodmanClient } from "@harmony/fleet/podman";
 * const podman = new PodmanClient("/run/podman/podman.sock");
 * const handlers = { logs: logsHandler({ podman, containerLabel: "harmony.fleet/device=d1" }) };
 * ```
 */
export function logsHandler(
  access: ContainerAccess = {},
): StreamHandler<LogsRequest> {
  return (context) => {
    const { request } = context;
    context.annotate({
      container: request.container,
      follow: request.follow,
      tail: request.tail,
      since: request.since,
      until: request.until,
    });
    const { podman } = access;
    if (podman === undefined) {
      throw runtimeDisabled(context.verb, context.deviceId);
    }
    const chunks = podman.logs(request.container, {
      tail: request.tail,
      since: podmanTime(request.since),
      until: podmanTime(request.until),
      timestamps: request.timestamps,
      follow: request.follow,
      stdout: request.stdout,
      stderr: request.stderr,
      label: access.containerLabel,
      signal: context.signal,
    });
    return mapFailures(
      chunks,
      `Cannot read the logs of container ${
        JSON.stringify(request.container)
      } on device "${context.deviceId}"`,
    );
  };
}

async function* mapFailures(
  chunks: AsyncGenerator<StreamChunk, void, undefined>,
  action: string,
): AsyncGenerator<StreamChunk, void, undefined> {
  try {
    yield* chunks;
  } catch (error) {
    throw podmanFailure(error, action);
  }
}

/**
 * An RFC 3339 time as podman reads it (Go's RFC3339Nano): `T` and `Z` in
 * upper case, and a leap second (`:60`, which Go refuses) as the last
 * millisecond of its minute.
 */
function podmanTime(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  if (/T\d\d:\d\d:60/i.test(text)) {
    return new Date(parseRfc3339(text)!).toISOString();
  }
  return text.toUpperCase();
}
