import { ExitCode } from "./exit_codes.ts";

/** Ctrl-C and SIGTERM while `fleet logs` or `fleet exec` runs. */
export interface Interrupt extends Disposable {
  /** Aborted on SIGINT (reason `"SIGINT"`) or SIGTERM (`"SIGTERM"`). */
  readonly signal: AbortSignal;
  /** 130 after SIGINT, 143 after SIGTERM; `undefined` before either. */
  readonly exitCode: number | undefined;
}

const SIGNALS: readonly Deno.Signal[] = ["SIGINT", "SIGTERM"];

/**
 * Listens for SIGINT and SIGTERM until disposed (the listeners are then
 * removed), or, when `given` is set, stands for it: aborting `given` is
 * Ctrl-C (SIGTERM when its reason is `"SIGTERM"`) and no listener is
 * installed.
 *
 * @example
 * ```ts
 * import { listenForInterrupt } from "./interrupt.ts";
 * const controller = new AbortController();
 * using interrupt = listenForInterrupt(controller.signal);
 * controller.abort("SIGINT");
 * interrupt.exitCode; // 130
 * ```
 */
export function listenForInterrupt(given?: AbortSignal): Interrupt {
  const exitCode = (signal: AbortSignal) =>
    !signal.aborted
      ? undefined
      : signal.reason === "SIGTERM"
      ? ExitCode.Terminated
      : ExitCode.Interrupted;
  if (given !== undefined) {
    return {
      signal: given,
      get exitCode() {
        return exitCode(given);
      },
      [Symbol.dispose]() {},
    };
  }
  const controller = new AbortController();
  const listeners: [Deno.Signal, () => void][] = [];
  for (const name of SIGNALS) {
    const listener = () => {
      if (!controller.signal.aborted) controller.abort(name);
    };
    try {
      Deno.addSignalListener(name, listener);
      listeners.push([name, listener]);
    } catch {
      // Not on this platform (SIGTERM on Windows).
    }
  }
  return {
    signal: controller.signal,
    get exitCode() {
      return exitCode(controller.signal);
    },
    [Symbol.dispose]() {
      for (const [name, listener] of listeners.splice(0)) {
        Deno.removeSignalListener(name, listener);
      }
    },
  };
}
