// Test helper: the agent process (`deno run -A agent/main.ts --config …`,
// or `deno task agent --config …`) in a process group of its own, as a
// terminal runs it, with its stderr collected. Not published.
import { type AgentLogEvent, parseAgentLog, waitFor } from "../testing/mod.ts";

const DENO_CONFIG = new URL("../deno.json", import.meta.url).pathname;
const MAIN = new URL("./main.ts", import.meta.url).pathname;

/** Options of {@linkcode MainProcess.start}. */
export interface MainProcessOptions {
  /**
   * Run it as `deno task agent --config <file>` (the task forwards signals
   * to the agent) instead of `deno run -A agent/main.ts --config <file>`.
   *
   * @default {false}
   */
  task?: boolean;
}

/** A running agent process; dispose kills its whole process group. */
export class MainProcess implements AsyncDisposable {
  readonly #child: Deno.ChildProcess;
  #stderr = "";
  /** Resolves with the exit code and the whole stderr once it has exited. */
  readonly exited: Promise<{ code: number; stderr: string }>;

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    const reading = (async () => {
      for await (
        const text of child.stderr.pipeThrough(new TextDecoderStream())
      ) {
        this.#stderr += text;
      }
    })();
    this.exited = (async () => {
      const { code } = await child.status;
      await reading;
      return { code, stderr: this.#stderr };
    })();
  }

  /** Starts the agent on the config file `configPath`. */
  static start(
    configPath: string,
    options: MainProcessOptions = {},
  ): MainProcess {
    const args = options.task
      ? ["task", "--config", DENO_CONFIG, "agent", "--config", configPath]
      : ["run", "-A", "--config", DENO_CONFIG, MAIN, "--config", configPath];
    const child = new Deno.Command(Deno.execPath(), {
      args,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      // A new session and process group, whose id is the child's pid.
      detached: true,
    }).spawn();
    return new MainProcess(child);
  }

  /** The pid of the process started (`deno task` or the agent itself), also its process group id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Everything written to stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** The log events written so far. */
  events(): AgentLogEvent[] {
    return parseAgentLog(this.#stderr);
  }

  /** Waits for the log event `event`; the timeout message carries stderr. */
  async waitForEvent(event: string): Promise<AgentLogEvent> {
    try {
      return await waitFor(
        `agent log event "${event}"`,
        () => this.events().find((line) => line.event === event),
        { timeoutMs: 20_000 },
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; stderr:\n${this.#stderr}`, {
        cause: error,
      });
    }
  }

  /**
   * Waits for the exit; throws, with stderr, if it has not exited within
   * `timeoutMs` (dispose then kills it), so a test fails instead of hanging.
   */
  async exit(timeoutMs = 20_000): Promise<{ code: number; stderr: string }> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), timeoutMs);
    });
    const result = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (result === undefined) {
      throw new Error(
        `The agent did not exit within ${timeoutMs} ms; stderr:\n${this.#stderr}`,
      );
    }
    return result;
  }

  /** Sends `signal` to every process of its group, as a terminal's Ctrl-C does. */
  signalGroup(signal: Deno.Signal): void {
    Deno.kill(-this.#child.pid, signal);
  }

  /** Kills the whole group (SIGKILL) if it still runs, and waits for the exit. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      Deno.kill(-this.#child.pid, "SIGKILL");
    } catch {
      // The group is gone.
    }
    await this.exited;
  }
}
