import { headers as natsHeaders } from "@nats-io/nats-core";
import type { Msg, NatsConnection } from "@nats-io/nats-core";
import {
  decodePingReply,
  deviceCommandSubject,
  Header,
  PayloadError,
  type PingReply,
  type RequestOf,
  type StreamingVerb,
  Verb,
} from "../contracts/mod.ts";
import {
  type CommandStream,
  openCommandStream,
  type StreamCommandOptions,
} from "./command_stream.ts";
import {
  collectExec,
  type ExecOptions,
  execRequest,
  type ExecResult,
} from "./exec.ts";
import { type LogsOptions, logsRequest } from "./logs.ts";
import {
  type DeviceRecord,
  type DevicesOptions,
  listDevices,
} from "./devices.ts";
import { BadReplyError } from "./errors.ts";
import {
  classifyRequestError,
  connectionUser,
  remoteError,
  requestWithSignal,
} from "./_single_request.ts";
import { checkTimeoutMs } from "./timeout.ts";

/** Options of {@linkcode FleetCommandsClient}. */
export interface FleetCommandsClientOptions {
  /**
   * How long each command waits for its reply, in milliseconds, unless the
   * call says otherwise. Also sent to the agent as the request's deadline.
   * More than 0 and at most `MAX_TIMEOUT_MS` (24 h); a fraction is
   * rounded up to a whole millisecond. Otherwise the constructor throws a
   * `RangeError`.
   *
   * @default {5000}
   */
  timeoutMs?: number;
  /**
   * Who is sending, sent as `X-Harmony-Operator-Sub` for the agent's log.
   * When omitted, the user name the connection was opened with is used if
   * the connection exposes it (the `nats-core` connections do, as
   * `options.user`); otherwise the header is not sent. Tokens are never sent.
   *
   * @default {the connection's user name, if any}
   */
  operatorSub?: string;
}

/** Per-call options of the {@linkcode FleetCommandsClient} commands. */
export interface CommandOptions {
  /**
   * How long to wait for the reply, in milliseconds; checked and rounded as
   * the client's `timeoutMs` (the command rejects with a `RangeError` for a
   * bad value).
   *
   * @default {the client's `timeoutMs`}
   */
  timeoutMs?: number;
  /**
   * Aborts the command: it then rejects with `signal.reason`, and a late
   * reply is ignored.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
}

export type { StreamCommandOptions } from "./command_stream.ts";

/** Turns a success reply body into the verb's reply, or throws `PayloadError`. */
type ReplyDecoder<T> = (data: Uint8Array, deviceId: string) => T;

const EMPTY_BODY = new Uint8Array(0);
const DEFAULT_TIMEOUT_MS = 5000;

/**
 * Sends commands to devices' agents over NATS request/reply and returns
 * their typed replies. Failures reject with a {@linkcode CommandError}
 * subclass: {@linkcode DeviceOfflineError}, {@linkcode CommandTimeoutError},
 * {@linkcode BadReplyError}, {@linkcode RemoteCommandError} or
 * {@linkcode NatsTransportError}. The connection is the caller's: the client
 * never opens or closes it.
 *
 * Every request carries `X-Harmony-Request-Id` (a fresh UUID),
 * `X-Harmony-Deadline` (now + timeout, epoch ms) and, when known,
 * `X-Harmony-Operator-Sub`.
 *
 * @example
 * ```ts ignore
 * import { connect } from "@harmony/fleet/nats";
 * import { FleetCommandsClient } from "@harmony/fleet/operator";
 *
 * const nc = await connect({ servers: "nats://127.0.0.1:4222" });
 * const client = new FleetCommandsClient(nc, { timeoutMs: 2000 });
 * const reply = await client.ping("vm-device-00");
 * console.log(reply.agent_version, reply.uptime_s);
 * await nc.close();
 * ```
 */
export class FleetCommandsClient {
  #nc: NatsConnection;
  #timeoutMs: number;
  #operatorSub: string | undefined;

  /** Wraps `nc`; see {@linkcode FleetCommandsClientOptions}. */
  constructor(nc: NatsConnection, options: FleetCommandsClientOptions = {}) {
    this.#nc = nc;
    this.#timeoutMs = checkTimeoutMs(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    this.#operatorSub = options.operatorSub ?? connectionUser(nc);
  }

  /** The default timeout of this client's commands, in milliseconds. */
  get timeoutMs(): number {
    return this.#timeoutMs;
  }

  /**
   * Asks the agent of `deviceId` whether it is alive; resolves with its
   * {@linkcode PingReply}. The body sent is empty (ping has no fields), so
   * the request is the same as `nats req device-commands.<id>.ping ""`.
   *
   * @throws {InvalidDeviceIdError} (a `TypeError`, as a rejection) when
   *   `deviceId` is not a valid device id; nothing is sent then.
   * @throws {DeviceOfflineError} at once when no agent for it is connected.
   * @throws {CommandTimeoutError} when no reply came in time.
   * @throws {RemoteCommandError} when the agent answered with an error.
   * @throws {BadReplyError} when the reply is not a ping reply from that device.
   * @throws {NatsTransportError} when the connection raised anything else.
   * @example
   * ```ts ignore
   * const reply = await client.ping("vm-device-00", { timeoutMs: 1000 });
   * reply.runtime; // "podman" or "disabled"
   * ```
   */
  ping(deviceId: string, options?: CommandOptions): Promise<PingReply> {
    return this.#request(
      deviceId,
      Verb.Ping,
      EMPTY_BODY,
      decodePingReplyFrom,
      options,
    );
  }

  /**
   * Every device the registry (the `FLEET_DEVICES` stream of last
   * heartbeats) knows of, sorted by id: id, status (`"online"`, or
   * `"stale"` after 3 heartbeat intervals without one), last seen, agent
   * version, runtime, uptime, labels. Waits at most `timeoutMs` (default:
   * the client's). See {@linkcode listDevices}.
   *
   * @throws {RegistryError} `not_found` when the stream does not exist
   *   (`fleet registry init` creates it), `jetstream_disabled`, `timeout`
   *   or `failed`.
   * @example
   * ```ts ignore
   * const devices = await client.devices();
   * devices.filter((d) => d.status === "online").map((d) => d.id);
   * ```
   */
  devices(options: DevicesOptions = {}): Promise<DeviceRecord[]> {
    return listDevices(this.#nc, {
      ...options,
      timeoutMs: options.timeoutMs ?? this.#timeoutMs,
    });
  }

  /**
   * Reads a container's log on `deviceId`: the returned
   * {@linkcode CommandStream} is an async iterable of
   * `{ stream: "stdout" | "stderr", data: Uint8Array }` chunks, exactly
   * as `podman logs` would write them (binary-safe). Nothing is sent
   * until the loop starts; it may be iterated once.
   *
   * The loop ends when the log has been sent (`end.reason` `"eof"`; with
   * `follow`, when the container exits) or `limitBytes` was reached
   * (`"limit"`). Breaking out of it or aborting `signal` sends `cancel`
   * (the agent stops reading the log). A `follow` stream sends a
   * `keepalive` every 5 s and runs until then; one that does not follow
   * must end within `timeoutMs`.
   *
   * @throws {InvalidDeviceIdError} (a `TypeError`) for an invalid device id.
   * @throws {TypeError} for an option of the wrong type, an empty
   *   `container`, `stdout` and `stderr` both `false` — nothing is sent.
   * @throws {RangeError} for `tail` < 0, `limitBytes` < 1, a `since` or
   *   `until` that is not a valid `Date` or RFC 3339 string, `until`
   *   before `since`, a bad `timeoutMs` — nothing is sent.
   *
   * The loop itself throws {@linkcode DeviceOfflineError},
   * {@linkcode CommandTimeoutError} (nothing came in time),
   * {@linkcode RemoteCommandError} (e.g. `not_found`),
   * {@linkcode StreamEndedEarlyError} (the agent ended it `deadline`,
   * `abandoned`, or `cancelled` by someone else),
   * {@linkcode StreamInterruptedError} (a message lost, no end, the agent
   * lost it, the connection closed), {@linkcode BadReplyError},
   * {@linkcode NatsTransportError}, or `signal.reason`.
   * @example
   * ```ts ignore
   * const controller = new AbortController();
   * for await (const { stream, data } of client.logs("vm-device-00", {
   *   container: "web", tail: 100, follow: true, signal: controller.signal,
   * })) {
   *   (stream === "stdout" ? Deno.stdout : Deno.stderr).writeSync(data);
   * }
   * ```
   */
  logs(deviceId: string, options: LogsOptions): CommandStream {
    return this.#stream(
      deviceId,
      Verb.Logs,
      logsRequest(deviceId, options),
      options,
    );
  }

  /**
   * Runs `cmd` (an argv, no shell) in a container of `deviceId`, or on the
   * device with `host: true`, and resolves once it has finished with its
   * exit code and its collected stdout and stderr:
   * `{ exitCode, stdout, stderr, truncated: false }`. When the output
   * reached `limitBytes` (default 16 MiB) the agent stopped the command:
   * `{ exitCode: undefined, …, truncated: true }` (unless the agent sent an
   * exit code). An exit code is never made up: a command the agent
   * stopped at its deadline (`timeoutMs`) or that was cancelled rejects
   * with {@linkcode StreamEndedEarlyError} (`reason` `"deadline"` or
   * `"cancelled"`, the output so far in `output`).
   *
   * Aborting `signal` sends `cancel` (the agent kills the command) and
   * rejects with `signal.reason`.
   *
   * @throws {InvalidDeviceIdError} (a `TypeError`) for an invalid device id.
   * @throws {TypeError} for neither or both of `container` and
   *   `host: true`, a bad `cmd` (not an array of strings, empty, NUL,
   *   over 64 KiB), `env`, `workdir` (not absolute) or `stdin` (not a
   *   `Uint8Array`) — nothing is sent.
   * @throws {RangeError} for `stdin` over `MAX_EXEC_STDIN_BYTES`,
   *   `limitBytes` < 1, a bad `timeoutMs` — nothing is sent.
   * @throws {DeviceOfflineError} when no agent for it is connected.
   * @throws {CommandTimeoutError} when nothing came in time.
   * @throws {RemoteCommandError} for the agent's error reply (`forbidden`,
   *   `not_found`, `conflict`, `unsupported`, `bad_request`, …).
   * @throws {StreamEndedEarlyError} for a `deadline` or `cancelled` end.
   * @throws {StreamInterruptedError} when output was lost or stopped
   *   without its end.
   * @throws {BadReplyError} for a malformed message or an end without exit code.
   * @example
   * ```ts ignore
   * const result = await client.exec("vm-device-00", {
   *   container: "web", cmd: ["sh", "-c", "exit 3"],
   * });
   * result.exitCode; // 3
   * ```
   */
  async exec(deviceId: string, options: ExecOptions): Promise<ExecResult> {
    return await collectExec(this.execStream(deviceId, options));
  }

  /**
   * Runs `cmd` as {@linkcode FleetCommandsClient.exec} does, but hands
   * the output over as it comes: an async iterable of
   * `{ stream, data }` chunks; after the loop, `end` is
   * `{ reason: "eof", exitCode }` (or `{ reason: "limit" }` when the
   * output reached `limitBytes`). Breaking out or aborting `signal` sends
   * `cancel`: the agent kills the command. The loop throws as
   * {@linkcode FleetCommandsClient.exec} rejects.
   *
   * @throws {TypeError} / {RangeError} for bad options, as `exec()`, at
   *   once; nothing is sent.
   * @example
   * ```ts ignore
   * const stream = client.execStream("vm-device-00", { host: true, cmd: ["uptime"] });
   * for await (const { data } of stream) Deno.stdout.writeSync(data);
   * stream.end?.exitCode; // 0
   * ```
   */
  execStream(deviceId: string, options: ExecOptions): CommandStream {
    return this.#stream(
      deviceId,
      Verb.Exec,
      execRequest(deviceId, options),
      options,
    );
  }

  /**
   * The one path every streaming command (`logs`, `exec`, `execStream`)
   * takes: checks the device id and the request (the verb's own decoder,
   * so a bad field is a `TypeError` here, not a `bad_request` there), and
   * returns the {@linkcode CommandStream} of the reply, sent with this
   * client's operator sub and timeout. Whether the stream follows is the
   * verb's to say (`logs` with `follow: true`).
   */
  #stream<V extends StreamingVerb>(
    deviceId: string,
    verb: V,
    request: RequestOf<V>,
    options: StreamCommandOptions = {},
  ): CommandStream {
    return openCommandStream(this.#nc, { deviceId, verb, request }, {
      timeoutMs: options.timeoutMs ?? this.#timeoutMs,
      operatorSub: this.#operatorSub,
      signal: options.signal,
    });
  }

  // The one path every single-reply verb takes: validate, send, classify, decode.
  // Kept to a single await so it costs little over a raw `nc.request`.
  async #request<T>(
    deviceId: string,
    verb: Verb,
    body: Uint8Array,
    decode: ReplyDecoder<T>,
    options: CommandOptions | undefined,
  ): Promise<T> {
    // Throws InvalidDeviceIdError before anything touches the connection.
    const subject = deviceCommandSubject(deviceId, verb);
    const timeoutMs = options?.timeoutMs === undefined
      ? this.#timeoutMs
      : checkTimeoutMs(options.timeoutMs);
    const signal = options?.signal;
    signal?.throwIfAborted();

    const requestId = crypto.randomUUID();
    const headers = natsHeaders();
    headers.set(Header.RequestId, requestId);
    headers.set(Header.Deadline, String(Date.now() + timeoutMs));
    if (this.#operatorSub !== undefined) {
      headers.set(Header.OperatorSub, this.#operatorSub);
    }

    let msg: Msg;
    try {
      msg = signal === undefined
        ? await this.#nc.request(subject, body, { timeout: timeoutMs, headers })
        : await requestWithSignal(
          this.#nc,
          subject,
          body,
          timeoutMs,
          headers,
          signal,
        );
    } catch (error) {
      if (signal?.aborted && error === signal.reason) throw error;
      throw classifyRequestError(error, {
        deviceId,
        verb,
        requestId,
        cause: error,
      }, timeoutMs);
    }

    if (msg.headers?.get(Header.ServiceErrorCode)) {
      throw remoteError(msg, { deviceId, verb, requestId });
    }
    try {
      return decode(msg.data, deviceId);
    } catch (error) {
      if (error instanceof PayloadError) {
        throw new BadReplyError({ deviceId, verb, requestId, cause: error });
      }
      throw error;
    }
  }
}

function decodePingReplyFrom(data: Uint8Array, deviceId: string): PingReply {
  const reply = decodePingReply(data);
  if (reply.device_id !== deviceId) {
    throw new PayloadError(
      `ping reply field "device_id" is ${
        JSON.stringify(reply.device_id)
      }, expected ${JSON.stringify(deviceId)}`,
    );
  }
  return reply;
}
