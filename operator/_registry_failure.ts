// Turns what the JetStream API client threw into a RegistryError that says
// what to do. Private to operator/.
import { JetStreamApiError } from "@nats-io/jetstream";
import { RegistryError, RegistryFailure } from "./registry_errors.ts";

const STREAM_NOT_FOUND = 10059;
const JETSTREAM_NOT_ENABLED_FOR_ACCOUNT = 10039;
const JETSTREAM_NOT_ENABLED = 10076;

/** What was being done, for the message: `Cannot <action> …`. */
export type RegistryAction = "list" | "create";

/** The RegistryError for `error`, thrown while doing `action` on `stream`. */
export function registryError(
  error: unknown,
  stream: string,
  action: RegistryAction,
): RegistryError {
  if (error instanceof RegistryError) return error;
  const what = action === "list"
    ? `Cannot list the devices of registry stream ${JSON.stringify(stream)}`
    : `Cannot create registry stream ${JSON.stringify(stream)}`;
  const code = error instanceof JetStreamApiError ? error.code : undefined;
  if (code === STREAM_NOT_FOUND) {
    return new RegistryError(
      `${what}: it does not exist; create it with \`fleet registry init\``,
      { stream, reason: RegistryFailure.NotFound, cause: error },
    );
  }
  if (
    code === JETSTREAM_NOT_ENABLED_FOR_ACCOUNT ||
    code === JETSTREAM_NOT_ENABLED || isNotEnabled(error)
  ) {
    return new RegistryError(
      `${what}: JetStream is not enabled on the server (or for this account); the registry needs it (nats-server -js, or a jetstream {} block)`,
      { stream, reason: RegistryFailure.JetStreamDisabled, cause: error },
    );
  }
  const violation = permissionViolation(error);
  if (violation !== undefined) {
    return new RegistryError(
      `${what}: permission denied (${violation}); ${
        action === "list"
          ? "the user needs the operator permissions (operatorPermissions())"
          : "creating it needs an administrator"
      }`,
      { stream, reason: RegistryFailure.Forbidden, cause: error },
    );
  }
  if (error instanceof Error && error.name === "TimeoutError") {
    return new RegistryError(
      `${what}: the JetStream API did not answer in time (no permission for it, or the server is busy)`,
      { stream, reason: RegistryFailure.Timeout, cause: error },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new RegistryError(`${what}: ${message}`, {
    stream,
    reason: RegistryFailure.Failed,
    cause: error,
  });
}

function permissionViolation(error: unknown): string | undefined {
  for (let e = error; e instanceof Error; e = e.cause) {
    if (
      e.name === "PermissionViolationError" ||
      /Permissions Violation/.test(e.message)
    ) {
      return e.message;
    }
  }
  return undefined;
}

function isNotEnabled(error: unknown): boolean {
  return error instanceof Error &&
    (error.constructor.name === "JetStreamNotEnabled" ||
      error.name === "JetStreamNotEnabled" ||
      /jetstream is not enabled/i.test(error.message));
}
