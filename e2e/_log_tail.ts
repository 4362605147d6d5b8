/**
 * Copies a process's output stream into a log file while keeping its tail
 * in memory and resolving `seen(text)` waiters. Private to `e2e/`.
 */
export class LogPump {
  readonly #waiters: { text: string; resolve: () => void }[] = [];
  readonly #decoder = new TextDecoder();
  #tail = "";
  #ended = false;
  /** Resolves once the stream has ended and the file is closed. */
  readonly done: Promise<void>;

  /** Starts copying `stream` into `file` (which this pump closes). */
  constructor(
    stream: ReadableStream<Uint8Array>,
    file: Deno.FsFile,
    readonly maxTail = 8192,
  ) {
    this.done = this.#pump(stream, file);
  }

  async #pump(
    stream: ReadableStream<Uint8Array>,
    file: Deno.FsFile,
  ): Promise<void> {
    try {
      for await (const chunk of stream) {
        let written = 0;
        while (written < chunk.length) {
          written += await file.write(chunk.subarray(written));
        }
        this.#tail =
          (this.#tail + this.#decoder.decode(chunk, { stream: true }))
            .slice(-this.maxTail);
        for (const waiter of [...this.#waiters]) {
          if (this.#tail.includes(waiter.text)) {
            this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
            waiter.resolve();
          }
        }
      }
    } finally {
      this.#ended = true;
      file.close();
    }
  }

  /** Whether the stream has ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** The last lines seen, at most `lines` of them. */
  tail(lines = 20): string {
    return this.#tail.trimEnd().split("\n").slice(-lines).join("\n");
  }

  /** Resolves when `text` has appeared in the output (within the kept tail). */
  seen(text: string): Promise<void> {
    if (this.#tail.includes(text)) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ text, resolve }));
  }
}
