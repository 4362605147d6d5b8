/**
 * The auth-callout service as a real process (`deno run -A callout/main.ts
 * --config <file>`), owned as an `AsyncDisposable`.
 *
 * How the pieces fit (nats-server ≥ 2.10, a mock OIDC issuer, the callout):
 *
 * ```ts ignore
 * import {
 *   CalloutProcess, generateCalloutKeys, MockOidcIssuer, NatsServerProcess,
 *   TEST_ADMIN, tempDir,
 * } from "../testing/mod.ts";
 * import { connect } from "../nats/mod.ts";
 *
 * await using dir = await tempDir();
 * const keys = generateCalloutKeys();             // issuer nkey + xkey
 * await using issuer = await MockOidcIssuer.start();
 * await using server = await NatsServerProcess.start({
 *   config: { admin: TEST_ADMIN, callout: { keys } }, // admin bypasses the callout
 * });
 * await using callout = await CalloutProcess.start({
 *   dir: dir.path, servers: server.url, keys, issuer,  // waits for "callout_ready"
 * });
 * const token = await issuer.mint({ subject: "device-d1" });
 * const nc = await connect({ servers: server.url, token }); // device d1's permissions
 * ```
 *
 * Operators log in with a token for {@linkcode TEST_OPERATOR_SUBJECT}
 * (`fleet-ops`). nats-server waits `authorization { timeout }` for each
 * answer, 2 s by default; under a burst of logins on a loaded machine,
 * give it more with `callout: { keys, authTimeoutS: 10 }`. A killed
 * callout (`kill()`) makes logins fail with an auth error after that
 * timeout; `CalloutProcess.start` with the same options brings it back.
 *
 * @module
 */
import { stringify as stringifyToml } from "smol-toml";
import type { CalloutKeys } from "./callout_server_config.ts";
import { TEST_CALLOUT_USER } from "./callout_server_config.ts";
import type { Credentials } from "./nats_server_config.ts";
import {
  readTail,
  signalChild,
  spawnLogged,
  stopChild,
  timer,
} from "./child_process.ts";

/** The operator subject tests use: `[callout] operator_subjects = ["fleet-ops"]`. */
export const TEST_OPERATOR_SUBJECT = "fleet-ops";

/** Options of {@linkcode CalloutProcess.start}. */
export interface CalloutProcessOptions {
  /** Directory for its config (`callout.toml`), seed files and log (`callout.log`). */
  dir: string;
  /** NATS server URL(s). */
  servers: string | readonly string[];
  /** The keys of the server's `auth_callout` block (seeds written 0600 into `dir`). */
  keys: CalloutKeys;
  /**
   * The OIDC issuer: its URL (discovery) and audience. A
   * `MockOidcIssuer` fits as it is.
   */
  issuer: { url: string; audience: string };
  /**
   * `[oidc] jwks_uri`, skipping discovery.
   *
   * @default {undefined (discovery)}
   */
  jwksUri?: string;
  /**
   * The `auth_users` user it connects as.
   *
   * @default {TEST_CALLOUT_USER}
   */
  credentials?: Credentials;
  /**
   * Whether to give it the xkey seed (when `keys` has one). Must match the
   * server's `encrypt`.
   *
   * @default {true}
   */
  encrypt?: boolean;
  /**
   * `[callout] operator_subjects`.
   *
   * @default {[TEST_OPERATOR_SUBJECT]}
   */
  operatorSubjects?: readonly string[];
  /**
   * `[callout] account`.
   *
   * @default {"APP"}
   */
  account?: string;
  /**
   * Other `[oidc]` keys, written as given (`algorithms`, `clock_leeway_s`,
   * `jwks_refresh_min_interval_s`, `jwks_cache_max_age_s`,
   * `max_token_bytes`).
   *
   * @default {{ jwks_refresh_min_interval_s: 0.2 }} (tests rotate keys)
   */
  oidc?: Record<string, string | number | string[]>;
  /**
   * How long to wait for the `callout_ready` log line.
   *
   * @default {20_000}
   */
  readyTimeoutMs?: number;
  /**
   * How long dispose waits after SIGTERM before SIGKILL.
   *
   * @default {5_000}
   */
  stopTimeoutMs?: number;
  /**
   * Start it in a session of its own (`setsid`), for kept stacks.
   *
   * @default {false}
   */
  newSession?: boolean;
  /**
   * The callout entry module.
   *
   * @default {this package's `callout/main.ts`}
   */
  entry?: string | URL;
}

/**
 * Thrown when the callout process does not start or get ready; the message
 * carries the tail of its log (which never holds a secret).
 *
 * @example
 * ```ts ignore
 * import { CalloutProcess, CalloutStartError } from "../testing/mod.ts";
 * await CalloutProcess.start(options).catch((error) => {
 *   if (error instanceof CalloutStartError) console.error(error.logTail);
 * });
 * ```
 */
export class CalloutStartError extends Error {
  /** The last lines of its log. */
  readonly logTail: string;

  /** Builds the error. */
  constructor(message: string, logTail: string, options?: ErrorOptions) {
    super(
      logTail ? `${message}; last lines of its log:\n${logTail}` : message,
      options,
    );
    this.name = "CalloutStartError";
    this.logTail = logTail;
  }
}

/** One JSON line of the callout's log. */
export type CalloutLogEvent = {
  /** The event name (`callout_ready`, `auth_allowed`, `auth_refused`, …). */
  event: string;
  /** `info`, `warn` or `error`. */
  level: string;
  /** Other fields (`subject`, `role`, `reason`, …). */
  [field: string]: unknown;
};

/**
 * A running callout. `start` writes `callout.toml` and the seed files into
 * `dir`, spawns the process (log: `<dir>/callout.log`) and resolves once it
 * logs `callout_ready` (subscribed to `$SYS.REQ.USER.AUTH`). `kill()`
 * simulates a crash; `start` again with the same options brings it back.
 * Dispose stops it with SIGTERM (then SIGKILL) and is idempotent.
 *
 * @example
 * ```ts ignore
 * import { CalloutProcess } from "../testing/mod.ts";
 * await using callout = await CalloutProcess.start({ dir, servers: server.url, keys, issuer });
 * const refused = (await callout.events()).filter((e) => e.event === "auth_refused");
 * ```
 */
export class CalloutProcess implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  readonly #stopTimeoutMs: number;
  #exit: Deno.CommandStatus | undefined;
  #disposed: Promise<void> | undefined;

  /** Its config file. */
  readonly configPath: string;
  /** Its log (JSON lines). */
  readonly logPath: string;
  /** Resolves with its exit status once it has exited. */
  readonly exited: Promise<Deno.CommandStatus>;

  private constructor(
    child: Deno.ChildProcess,
    fields: { configPath: string; logPath: string },
    stopTimeoutMs: number,
  ) {
    this.#child = child;
    this.#stopTimeoutMs = stopTimeoutMs;
    this.configPath = fields.configPath;
    this.logPath = fields.logPath;
    this.exited = child.status.then((status) => this.#exit = status);
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Its exit status, or `undefined` while it runs. */
  get exitStatus(): Deno.CommandStatus | undefined {
    return this.#exit;
  }

  /** Lets this Deno process exit while the callout runs; dispose still stops it. */
  unref(): void {
    this.#child.unref();
  }

  /**
   * Writes the config (see {@linkcode renderCalloutConfig}) and seed files,
   * spawns the callout and waits for `callout_ready`.
   *
   * @throws {CalloutStartError} when it exits or is not ready in time.
   */
  static async start(options: CalloutProcessOptions): Promise<CalloutProcess> {
    const { dir } = options;
    const configPath = `${dir}/callout.toml`;
    const logPath = `${dir}/callout.log`;
    await writeSecret(`${dir}/callout-issuer.nk`, options.keys.issuerSeed);
    const encrypt = (options.encrypt ?? true) &&
      options.keys.xkeySeed !== undefined;
    if (encrypt) {
      await writeSecret(`${dir}/callout-xkey.nk`, options.keys.xkeySeed!);
    }
    await writeSecret(configPath, renderCalloutConfig(options));
    const entry = options.entry ??
      new URL("../callout/main.ts", import.meta.url);
    const url = entry instanceof URL ? entry : new URL(entry, import.meta.url);
    const denoJson = new URL("../deno.json", url);
    const args = [
      "run",
      "-A",
      ...(denoJson.protocol === "file:" &&
          (await Deno.stat(denoJson).catch(() => undefined))?.isFile
        ? ["--config", decodeURIComponent(denoJson.pathname)]
        : []),
      url.protocol === "file:" ? decodeURIComponent(url.pathname) : url.href,
      "--config",
      configPath,
    ];
    // The previous run's "callout_ready" must not count.
    await Deno.remove(logPath).catch(() => {});
    let child: Deno.ChildProcess;
    try {
      child = spawnLogged(Deno.execPath(), args, {
        logPath,
        newSession: options.newSession,
      });
    } catch (cause) {
      throw new CalloutStartError(
        `Cannot start the callout: ${(cause as Error).message}`,
        "",
        { cause },
      );
    }
    const process = new CalloutProcess(
      child,
      { configPath, logPath },
      options.stopTimeoutMs ?? 5_000,
    );
    const readyTimeoutMs = options.readyTimeoutMs ?? 20_000;
    const deadline = Date.now() + readyTimeoutMs;
    while (true) {
      const events = await process.events();
      if (events.some((e) => e.event === "callout_ready")) return process;
      const exited = process.exitStatus;
      if (exited || Date.now() > deadline) {
        await stopChild(child, 1_000);
        throw new CalloutStartError(
          exited
            ? `The callout exited with code ${exited.code} before it was ready (log: "${logPath}")`
            : `The callout was not ready within ${readyTimeoutMs} ms (log: "${logPath}")`,
          await readTail(logPath),
        );
      }
      const pause = timer(20, undefined);
      await Promise.race([pause.promise, child.status]);
      pause.cancel();
    }
  }

  /** The JSON events of its log so far (lines that are not JSON are skipped). */
  async events(): Promise<CalloutLogEvent[]> {
    const text = await Deno.readTextFile(this.logPath).catch(() => "");
    const events: CalloutLogEvent[] = [];
    for (const line of text.split("\n")) {
      if (!line.startsWith("{")) continue;
      try {
        events.push(JSON.parse(line));
      } catch {
        // A line being written.
      }
    }
    return events;
  }

  /** Kills it at once (SIGKILL), as a crash would, and waits for the exit. */
  async kill(): Promise<Deno.CommandStatus> {
    signalChild(this.#child, "SIGKILL");
    return await this.exited;
  }

  /** Stops it (SIGTERM, then SIGKILL after a deadline); idempotent. */
  [Symbol.asyncDispose](): Promise<void> {
    this.#disposed ??= stopChild(this.#child, this.#stopTimeoutMs).then(
      () => {},
    );
    return this.#disposed;
  }
}

/**
 * The callout's TOML config for `options` (seed files named relative to
 * the config: `callout-issuer.nk`, `callout-xkey.nk`).
 *
 * @example
 * ```ts
 * import { generateCalloutKeys } from "./callout_server_config.ts";
 * import { renderCalloutConfig } from "./callout_process.ts";
 * const text = renderCalloutConfig({
 *   dir: "/tmp/x", servers: "nats://127.0.0.1:4222", keys: generateCalloutKeys(),
 *   issuer: { url: "http://127.0.0.1:8080", audience: "harmony-fleet-nats" },
 * });
 * text.includes('issuer_seed_file = "callout-issuer.nk"'); // true
 * ```
 */
export function renderCalloutConfig(options: CalloutProcessOptions): string {
  const credentials = options.credentials ?? TEST_CALLOUT_USER;
  const encrypt = (options.encrypt ?? true) &&
    options.keys.xkeySeed !== undefined;
  const servers = typeof options.servers === "string"
    ? [options.servers]
    : [...options.servers];
  return stringifyToml({
    nats: { servers, user: credentials.user, password: credentials.password },
    callout: {
      issuer_seed_file: "callout-issuer.nk",
      ...(encrypt ? { xkey_seed_file: "callout-xkey.nk" } : {}),
      account: options.account ?? "APP",
      operator_subjects: [
        ...(options.operatorSubjects ?? [TEST_OPERATOR_SUBJECT]),
      ],
    },
    oidc: {
      issuer: options.issuer.url,
      ...(options.jwksUri ? { jwks_uri: options.jwksUri } : {}),
      audience: options.issuer.audience,
      ...(options.oidc ?? { jwks_refresh_min_interval_s: 0.2 }),
    },
  }) + "\n";
}

async function writeSecret(path: string, text: string): Promise<void> {
  await Deno.writeTextFile(path, text, { mode: 0o600 });
  await Deno.chmod(path, 0o600);
}
