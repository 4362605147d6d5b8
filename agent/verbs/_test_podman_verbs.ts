// Test helper of the logs and exec handlers: a real podman service with
// the workload image and a client on it, an in-process CommandServer on a
// real nats-server (agent/_test_server.ts), and reading a stream as a
// client does (nats/ requestStream). Not published.
import { headers as natsHeaders } from "@nats-io/nats-core";
import type { NatsConnection } from "@nats-io/nats-core";
import {
  deviceCommandSubject,
  encodeJson,
  Header,
  type StreamEnd,
  type StreamingVerb,
} from "../../contracts/mod.ts";
import { requestStream, StreamRemoteError } from "../../nats/mod.ts";
import { PodmanClient } from "../../podman/mod.ts";
import {
  buildWorkloadImage,
  ignoreWithoutPodman,
  PodmanService,
} from "../../testing/mod.ts";
import { DEVICE, OTHER_DEVICE } from "../_test_server.ts";

export { DEVICE, OTHER_DEVICE };

/** `ignore` for tests that need podman. */
export const ignore: boolean = ignoreWithoutPodman();

/** The label key of the device's containers. */
export const LABEL_KEY = "harmony.fleet/device";
/** The `container_label` of DEVICE's agent. */
export const LABEL = `${LABEL_KEY}=${DEVICE}`;

/** A podman service, its workload image and a client on it. */
export interface PodmanFixture extends AsyncDisposable {
  service: PodmanService;
  image: string;
  podman: PodmanClient;
  /** Starts a detached container labelled for `device` (default DEVICE; `null`: no label). */
  run(
    name: string,
    cmd: string[],
    device?: string | null,
  ): Promise<string>;
  /** `podman <args>` on the service's storage; its stdout. */
  cli(args: string[]): Promise<Uint8Array>;
}

/** Starts a service, builds the workload image, opens a client. */
export async function startPodman(): Promise<PodmanFixture> {
  const service = await PodmanService.start();
  try {
    const { image } = await buildWorkloadImage(service);
    const podman = new PodmanClient(service.socketPath);
    return {
      service,
      image,
      podman,
      run: (name, cmd, device = DEVICE) =>
        service.runContainer({
          name,
          image,
          cmd,
          labels: device === null ? {} : { [LABEL_KEY]: device },
        }),
      cli: async (args) => (await service.podman(args)).stdout,
      async [Symbol.asyncDispose]() {
        await podman[Symbol.asyncDispose]();
        await service[Symbol.asyncDispose]();
      },
    };
  } catch (error) {
    await service[Symbol.asyncDispose]();
    throw error;
  }
}

/** A whole stream, as a client reads it. */
export interface Collected {
  stdout: Uint8Array;
  stderr: Uint8Array;
  end: StreamEnd;
}

/** Options of {@linkcode collect}. */
export interface CollectOptions {
  /** `X-Harmony-Deadline`, in ms from now. @default {30_000} (none for follow) */
  deadlineMs?: number;
  /** A follow stream (keepalives, no deadline). @default {false} */
  follow?: boolean;
  /** @default {a random UUID} */
  requestId?: string;
  /** `X-Harmony-Operator-Sub`. */
  operatorSub?: string;
}

/** Sends a `logs` or `exec` request for DEVICE and reads its stream to the end. */
export async function collect(
  nc: NatsConnection,
  verb: StreamingVerb,
  body: Record<string, unknown>,
  options: CollectOptions = {},
): Promise<Collected> {
  const reader = open(nc, verb, body, options);
  const parts: Record<"stdout" | "stderr", Uint8Array[]> = {
    stdout: [],
    stderr: [],
  };
  for await (const { stream, data } of reader) parts[stream].push(data);
  return {
    stdout: concat(parts.stdout),
    stderr: concat(parts.stderr),
    end: reader.end!,
  };
}

/** The stream reader of a `logs` or `exec` request for DEVICE (nothing sent until iterated). */
export function open(
  nc: NatsConnection,
  verb: StreamingVerb,
  body: Record<string, unknown>,
  options: CollectOptions = {},
): ReturnType<typeof requestStream> {
  const headers = natsHeaders();
  const deadline = options.follow
    ? undefined
    : Date.now() + (options.deadlineMs ?? 30_000);
  if (deadline !== undefined) headers.set(Header.Deadline, String(deadline));
  if (options.operatorSub !== undefined) {
    headers.set(Header.OperatorSub, options.operatorSub);
  }
  return requestStream(
    nc,
    deviceCommandSubject(DEVICE, verb),
    encodeJson({ verb, ...body }),
    {
      deviceId: DEVICE,
      requestId: options.requestId ?? crypto.randomUUID(),
      headers,
      deadline,
      follow: options.follow,
    },
  );
}

/** The error reply a stream ended with (fails if it ended otherwise). */
export async function remoteError(
  pending: Promise<unknown>,
): Promise<StreamRemoteError> {
  try {
    await pending;
  } catch (error) {
    if (error instanceof StreamRemoteError) return error;
    throw error;
  }
  throw new Error("expected an error reply, the stream ended well");
}

/** Joins byte arrays. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** UTF-8 text of `bytes`. */
export function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}

/** Socket file descriptors of a process (its open connections, listener included). */
export function socketCount(pid: number): number {
  let count = 0;
  for (const entry of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      if (
        Deno.readLinkSync(`/proc/${pid}/fd/${entry.name}`).startsWith("socket:")
      ) {
        count++;
      }
    } catch {
      // Closed meanwhile.
    }
  }
  return count;
}
