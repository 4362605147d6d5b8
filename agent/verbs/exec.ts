import {
  decodeBase64,
  ErrorKind,
  type ExecRequest,
  type StreamChunk,
} from "../../contracts/mod.ts";
import type { PodmanClient, PodmanExec } from "../../podman/mod.ts";
import {
  HandlerError,
  type StreamHandler,
  type StreamResult,
} from "../handler.ts";
import { podmanFailure, runtimeDisabled } from "./_container_errors.ts";
import { hostExec } from "./_host_exec.ts";
import type { ContainerAccess } from "./logs.ts";

/** What `exec` may do on this agent: the `[exec]` table of its config. */
export interface ExecPolicy {
  /**
   * Exec in a container (`[exec] enabled`); `false`: `forbidden`.
   *
   * @default {true}
   */
  enabled?: boolean;
  /**
   * Exec on the device itself, `host: true` (`[exec] allow_host`);
   * `false`: `forbidden`.
   *
   * @default {false}
   */
  allowHost?: boolean;
}

/** Options of {@linkcode execHandler}. */
export interface ExecHandlerOptions extends ContainerAccess {
  /**
   * What is allowed.
   *
   * @default {{ enabled: true, allowHost: false }}
   */
  policy?: ExecPolicy;
}

/**
 * The `exec` handler: runs `cmd` (an argv, no shell) with `env`, `workdir`
 * and `stdin`, streams its stdout and stderr and ends `eof` with its exit
 * code.
 *
 * - In a container, through podman's exec API: `unsupported` without
 *   podman (`runtime_enabled = false`), `forbidden` when the policy
 *   disables it, `not_found` for a container that is missing or lacks the
 *   label, `conflict` for one that is not running. A command that cannot
 *   start exits as podman reports it (127 not found, 126 not executable).
 * - On the host (`host: true`), only when the policy allows it (else
 *   `forbidden`), also without a container runtime: run directly with the
 *   agent's user and environment (plus `env`), in a session and process
 *   group of its own. A command that cannot start gets one
 *   `fleet-agent: …` line on stderr and exit code 127 (not found, no such
 *   working directory) or 126 (not executable), as a shell would.
 *
 * When the stream ends early (deadline, cancel, `limit_bytes`, shutdown)
 * the command is killed — in a container, its process group by the host
 * pid podman reports; on the host, its whole process group — and the end
 * message carries no exit code. Its `command` log line has the container
 * (or `host: true`), the argv, the workdir, the names of the env variables
 * and the size of stdin: never stdin's bytes or env values.
 *
 * @example
 * ```ts ignore
 * import { execHandler } from "@harmony/fleet/agent";
 * import { PodmanClient } from "@harmony/fleet/podman";
 * const podman = new PodmanClient("/run/podman/podman.sock");
 * const handlers = { exec: execHandler({ podman, policy: { allowHost: true } }) };
 * ```
 */
export function execHandler(
  options: ExecHandlerOptions = {},
): StreamHandler<ExecRequest> {
  const enabled = options.policy?.enabled ?? true;
  const allowHost = options.policy?.allowHost ?? false;
  return (context) => {
    const { request, deviceId } = context;
    const stdin = request.stdin === undefined
      ? undefined
      : decodeBase64(request.stdin);
    context.annotate({
      ...(request.host === true
        ? { host: true }
        : { container: request.container }),
      argv: request.cmd,
      workdir: request.workdir,
      env_names: request.env === undefined
        ? undefined
        : Object.keys(request.env),
      stdin_bytes: stdin?.length,
    });
    const run = {
      env: request.env,
      workdir: request.workdir,
      stdin,
      signal: context.signal,
    };
    if (request.host === true) {
      if (!allowHost) {
        throw new HandlerError(
          ErrorKind.Forbidden,
          `Host exec is not allowed on device "${deviceId}" (its agent's [exec] allow_host = false)`,
        );
      }
      return hostExec(request.cmd, run);
    }
    const { podman } = options;
    if (podman === undefined) throw runtimeDisabled(context.verb, deviceId);
    if (!enabled) {
      throw new HandlerError(
        ErrorKind.Forbidden,
        `Exec in containers is not allowed on device "${deviceId}" (its agent's [exec] enabled = false)`,
      );
    }
    const container = request.container!;
    return containerExec(
      podman,
      container,
      { ...run, cmd: request.cmd, label: options.containerLabel },
      `Cannot exec in container ${
        JSON.stringify(container)
      } on device "${deviceId}"`,
    );
  };
}

async function* containerExec(
  podman: PodmanClient,
  container: string,
  options: Parameters<PodmanClient["exec"]>[1],
  action: string,
): AsyncGenerator<StreamChunk, StreamResult, undefined> {
  let run: PodmanExec;
  try {
    run = await podman.exec(container, options);
  } catch (error) {
    throw podmanFailure(error, action);
  }
  try {
    yield* run;
    return { exitCode: await run.exitCode() };
  } catch (error) {
    throw podmanFailure(error, action);
  } finally {
    // Kills it if it still runs (an early end), closes its connection.
    await run[Symbol.asyncDispose]();
  }
}
