// What a logs or exec handler answers when podman fails or is not there:
// the podman client's errors mapped to error kinds. Private to
// agent/verbs/.
import { ErrorKind } from "../../contracts/mod.ts";
import {
  PodmanApiError,
  PodmanConflictError,
  PodmanError,
  PodmanNotFoundError,
  PodmanStreamError,
  PodmanUnavailableError,
} from "../../podman/mod.ts";
import { HandlerError } from "../handler.ts";

/**
 * The `unsupported` answer of a container verb on an agent without a
 * container runtime (`runtime_enabled = false`).
 */
export function runtimeDisabled(verb: string, deviceId: string): HandlerError {
  return new HandlerError(
    ErrorKind.Unsupported,
    `Verb "${verb}" is not available on device "${deviceId}": its agent has no container runtime (runtime_enabled = false)`,
  );
}

/**
 * The error reply for `error`, thrown by the podman client while doing
 * `action` (e.g. `Cannot exec in container "web" on device "d1"`): a
 * missing container and one hidden by the label filter are the same
 * `not_found` (the answer does not tell whether another device's container
 * exists); a container that is not running is `conflict`; a request podman
 * refuses as malformed is `bad_request`; podman unreachable or its stream
 * broken is `internal`, saying so. Anything that is not a podman error is
 * returned as it is (a bug: the server logs it and answers `internal`).
 */
export function podmanFailure(error: unknown, action: string): unknown {
  if (!(error instanceof PodmanError)) return error;
  const options = { cause: error };
  if (error instanceof PodmanNotFoundError) {
    return new HandlerError(
      ErrorKind.NotFound,
      `${action}: no such container`,
      options,
    );
  }
  if (error instanceof PodmanConflictError) {
    return new HandlerError(
      ErrorKind.Conflict,
      `${action}: the container is not running (podman: ${error.reason})`,
      options,
    );
  }
  if (error instanceof PodmanApiError && error.status === 400) {
    return new HandlerError(
      ErrorKind.BadRequest,
      `${action}: podman refused the request: ${error.reason}`,
      options,
    );
  }
  const problem = error instanceof PodmanUnavailableError
    ? "podman's API does not answer"
    : error instanceof PodmanStreamError
    ? "the stream from podman broke"
    : "podman failed";
  return new HandlerError(
    ErrorKind.Internal,
    `${action}: ${problem}: ${error.message}`,
    options,
  );
}
