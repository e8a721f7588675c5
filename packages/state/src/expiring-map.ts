/** How often writes sweep out entries past their lifetime, in milliseconds. */
const sweepEveryMs = 30_000

/**
 * A Map whose entries may carry a lifetime (`Date.now()` based): an expired entry reads as missing,
 * and writes sweep out every expired one at most every 30 s, so keys written once and never read
 * again (a rate window, a lease) do not pile up. No timer: nothing to stop.
 */
export class ExpiringMap<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number | null }>()
  #nextSweepAt = 0

  get(key: string, now = Date.now()): V | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt !== null && entry.expiresAt <= now) {
      this.#entries.delete(key)
      return undefined
    }
    return entry.value
  }

  /** Milliseconds the key has left; null without a lifetime; undefined when missing. */
  ttl(key: string, now = Date.now()): number | null | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined || (entry.expiresAt !== null && entry.expiresAt <= now)) return undefined
    return entry.expiresAt === null ? null : entry.expiresAt - now
  }

  /** `ttlMs` null: kept until deleted. */
  set(key: string, value: V, ttlMs: number | null, now = Date.now()): void {
    if (now >= this.#nextSweepAt) {
      this.#nextSweepAt = now + sweepEveryMs
      for (const [k, entry] of this.#entries)
        if (entry.expiresAt !== null && entry.expiresAt <= now) this.#entries.delete(k)
    }
    this.#entries.set(key, { value, expiresAt: ttlMs === null ? null : now + ttlMs })
  }

  delete(key: string): void {
    this.#entries.delete(key)
  }
}
