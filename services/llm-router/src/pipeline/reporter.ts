import type { Logger } from 'pino'

/**
 * Runs the after-response work of finished requests (token counting, metrics, usage events,
 * admission settles) in batches a few milliseconds later, rather than one by one right after each
 * response: a request arriving meanwhile waits for one batch at most, not for its predecessor's
 * report every time, which keeps that work out of the router's typical latency.
 */
export class Reporter {
  readonly #logger: Logger
  readonly #delayMs: number
  #queue: (() => Promise<void>)[] = []
  #timer: NodeJS.Timeout | undefined
  readonly #running = new Set<Promise<void>>()

  constructor(logger: Logger, delayMs = 20) {
    this.#logger = logger
    this.#delayMs = delayMs
  }

  add(task: () => Promise<void>): void {
    this.#queue.push(task)
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => void this.flush(), this.#delayMs)
      this.#timer.unref()
    }
  }

  /** Runs everything queued now; resolves when it (and any earlier batch) is done. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    const tasks = this.#queue
    this.#queue = []
    const batch = Promise.all(
      tasks.map((task) => task().catch((err: unknown) => this.#logger.error({ err }, 'usage report failed'))),
    ).then(() => undefined)
    this.#running.add(batch)
    void batch.finally(() => this.#running.delete(batch))
    await Promise.all([...this.#running])
  }
}
