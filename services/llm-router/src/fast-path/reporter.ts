import { performance } from 'node:perf_hooks'
import type { Logger } from 'pino'

/**
 * Runs the after-response work of finished requests (token counting, metrics, usage events,
 * admission settles) `delayMs` later, in batches, rather than one by one right after each
 * response: the work stays out of the request path. A batch runs in slices of about `sliceMs`,
 * yielding to the event loop between them, so a request that arrives meanwhile waits one slice at
 * most, not a whole batch (why: bench/router/README.md, "The fast path").
 *
 * A task should do its work synchronously and return a promise only for what it waits on (a
 * publish): the slices are timed around the synchronous part.
 */
export class Reporter {
  readonly #logger: Logger
  readonly #delayMs: number
  readonly #sliceMs: number
  #queue: (() => Promise<void>)[] = []
  #timer: NodeJS.Timeout | undefined
  readonly #running = new Set<Promise<void>>()

  constructor(logger: Logger, options: { delayMs?: number; sliceMs?: number } = {}) {
    this.#logger = logger
    this.#delayMs = options.delayMs ?? 20
    this.#sliceMs = options.sliceMs ?? 0.1
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
    const batch = this.#run(tasks)
    this.#running.add(batch)
    void batch.finally(() => this.#running.delete(batch))
    await Promise.all([...this.#running])
  }

  async #run(tasks: (() => Promise<void>)[]): Promise<void> {
    const pending: Promise<void>[] = []
    let sliceStart = performance.now()
    for (const task of tasks) {
      let done: Promise<void>
      try {
        done = task()
      } catch (err) {
        done = Promise.reject(err)
      }
      pending.push(done.catch((err: unknown) => this.#logger.error({ err }, 'usage report failed')))
      if (performance.now() - sliceStart >= this.#sliceMs) {
        await new Promise((resolve) => setImmediate(resolve))
        sliceStart = performance.now()
      }
    }
    await Promise.all(pending)
  }
}
