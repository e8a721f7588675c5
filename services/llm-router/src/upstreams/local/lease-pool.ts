/**
 * A fixed set of items (a context's sequences) lent one request at a time, first come first served.
 * A waiter whose signal aborts leaves the line with the abort reason; close() refuses new waiters
 * and resolves once every lent item is back.
 *
 * Not p-limit: it bounds how many functions run at once but lends no item, keeps an aborted
 * waiter queued until its turn (a request would hold its place in line after the client left),
 * and has nothing to wait on for close(). A stream holds its sequence past the call that got it,
 * which a function-shaped limit does not express either.
 */
export class LeasePool<T> {
  readonly #free: T[]
  readonly #waiters: { resolve: (item: T) => void; reject: (reason: unknown) => void }[] = []
  #lent = 0
  #closed = false
  #drained: (() => void) | undefined

  constructor(items: readonly T[]) {
    this.#free = [...items]
  }

  /** Requests waiting for an item. */
  get waiting(): number {
    return this.#waiters.length
  }

  /** Items out on loan. */
  get lent(): number {
    return this.#lent
  }

  acquire(signal: AbortSignal): Promise<T> {
    if (this.#closed) return Promise.reject(new Error('the local model is closed'))
    if (signal.aborted) return Promise.reject(signal.reason)
    const item = this.#free.pop()
    if (item !== undefined) {
      this.#lent++
      return Promise.resolve(item)
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        const at = this.#waiters.indexOf(waiter)
        if (at !== -1) this.#waiters.splice(at, 1)
        reject(signal.reason)
      }
      const waiter = {
        resolve: (value: T) => {
          signal.removeEventListener('abort', onAbort)
          resolve(value)
        },
        reject: (reason: unknown) => {
          signal.removeEventListener('abort', onAbort)
          reject(reason)
        },
      }
      signal.addEventListener('abort', onAbort, { once: true })
      this.#waiters.push(waiter)
    })
  }

  release(item: T): void {
    const next = this.#waiters.shift()
    if (next !== undefined) {
      next.resolve(item) // handed over: still lent
      return
    }
    this.#lent--
    this.#free.push(item)
    if (this.#lent === 0) this.#drained?.()
  }

  /** Refuses new and waiting requests; resolves when every lent item has been released. */
  close(): Promise<void> {
    this.#closed = true
    for (const waiter of this.#waiters.splice(0)) waiter.reject(new Error('the local model is closed'))
    if (this.#lent === 0) return Promise.resolve()
    return new Promise((resolve) => {
      this.#drained = resolve
    })
  }
}
