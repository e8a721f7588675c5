import {
  type AtomicScript,
  type ScriptReply,
  type ScriptStore,
  toMemoryScriptArgs,
  toScriptReply,
} from './atomic-script.ts'
import {
  assertSafeInteger,
  compareStreamIds,
  type HitResult,
  type SharedState,
  type StreamEntry,
  toDurationMs,
  toStreamId,
} from './shared-state.ts'
import { SortedSet } from './sorted-set.ts'

/** An append-only stream: entries oldest first, and the last id handed out (ids never go back). */
interface Stream {
  entries: StreamEntry[]
  lastMs: number
  lastSeq: number
}

/**
 * A string value or a hash field. What INCRBY and HINCRBY write is kept as the number and spelled
 * only when read (`String(n)` is how Redis spells an integer, so no reader can tell): counters
 * move on every request, and most are read far less often than they are written.
 */
type Stored = string | number

type Value =
  | { type: 'string'; data: Stored }
  | { type: 'hash'; data: Map<string, Stored> }
  | { type: 'zset'; data: SortedSet }
  | { type: 'stream'; data: Stream }

type Entry = Value & {
  /** `Date.now()` when it expires; null for never. */
  expiresAt: number | null
}

export interface MemoryStateOptions {
  /** How often expired keys are swept, in milliseconds (reads also skip them). Default 30 000. */
  sweepIntervalMs?: number
}

const wrongType = () => new TypeError('WRONGTYPE Operation against a key holding the wrong kind of value')
const spelled = (value: Stored): string => (typeof value === 'string' ? value : String(value))
const numeric = (value: Stored | undefined): number | null =>
  value === undefined ? null : typeof value === 'number' ? value : Number(value)
/** As Redis reads an integer: digits, an optional minus, no leading zero, no "+", no "-0". */
const integerOf = (value: Stored, what: string): number => {
  if (typeof value === 'number') return value
  const n = Number(value)
  if (!Number.isSafeInteger(n) || String(n) !== value) throw new TypeError(`${what} is not an integer`)
  return n
}
/** A counter's next value; past the safe integers it would round, so it is refused, unwritten. */
const added = (current: number, by: number): number => {
  const next = current + by
  if (!Number.isSafeInteger(next)) throw new RangeError('increment or decrement would overflow')
  return next
}

/** SharedState in one process's memory: the one-process shape, and unit tests. */
export function createMemoryState(options: MemoryStateOptions = {}): SharedState {
  const entries = new Map<string, Entry>()
  // Blocked stream reads by key, woken by an append to it (or by close).
  const waiters = new Map<string, Set<() => void>>()
  let closed = false
  // A script reads the clock once, when it starts: as in Redis (7+), no key expires halfway
  // through one, and its ~50 store calls do not each ask the OS for the time.
  let scriptStartedAt: number | null = null
  const clock = () => scriptStartedAt ?? Date.now()

  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key)
    if (entry !== undefined && entry.expiresAt !== null && entry.expiresAt <= clock()) {
      entries.delete(key)
      return undefined
    }
    return entry
  }
  const expiry = (ttlMs: number | undefined) =>
    ttlMs === undefined ? null : clock() + toDurationMs(ttlMs, 'ttlMs')

  // Rate-limit keys are written once and never read again after their window: sweep them.
  const sweep = setInterval(() => {
    const now = Date.now()
    for (const [key, entry] of entries)
      if (entry.expiresAt != null && entry.expiresAt <= now) entries.delete(key)
  }, options.sweepIntervalMs ?? 30_000)
  sweep.unref()

  const stringOf = (key: string): string | null => {
    const entry = live(key)
    if (entry === undefined) return null
    if (entry.type !== 'string') throw wrongType()
    return spelled(entry.data)
  }
  const hashOf = (key: string, create: boolean): Map<string, Stored> | undefined => {
    const entry = live(key)
    if (entry === undefined) {
      if (!create) return undefined
      const data = new Map<string, Stored>()
      entries.set(key, { type: 'hash', data, expiresAt: null })
      return data
    }
    if (entry.type !== 'hash') throw wrongType()
    return entry.data
  }
  const zsetOf = (key: string, create: boolean): SortedSet | undefined => {
    const entry = live(key)
    if (entry === undefined) {
      if (!create) return undefined
      const data = new SortedSet()
      entries.set(key, { type: 'zset', data, expiresAt: null })
      return data
    }
    if (entry.type !== 'zset') throw wrongType()
    return entry.data
  }
  const streamRead = (key: string, afterId: string, count: number): StreamEntry[] => {
    const after = toStreamId(afterId)
    const entry = live(key)
    if (entry === undefined) return []
    if (entry.type !== 'stream') throw wrongType()
    const list = entry.data.entries
    // Entries are in id order: find the first one past `after` from the end (readers are near it).
    let from = list.length
    while (from > 0 && compareStreamIds((list[from - 1] as StreamEntry).id, after) > 0) from--
    return list.slice(from, from + count).map((e) => ({ ...e }))
  }
  const wake = (key: string) => {
    const set = waiters.get(key)
    if (set === undefined) return
    waiters.delete(key)
    for (const resolve of set) resolve()
  }

  const incr = (key: string, by: number, ttlMs: number | undefined): number => {
    const entry = live(key)
    if (entry === undefined) {
      entries.set(key, { type: 'string', data: by, expiresAt: expiry(ttlMs) })
      return by
    }
    if (entry.type !== 'string') throw wrongType()
    const next = added(integerOf(entry.data, `value of ${key}`), by)
    entry.data = next
    return next
  }

  // The store memory scripts run against: the same map `get`/`set` use, Redis semantics.
  const store: ScriptStore = {
    get: stringOf,
    getNumber(key) {
      const entry = live(key)
      if (entry === undefined) return null
      if (entry.type !== 'string') throw wrongType()
      return numeric(entry.data)
    },
    set(key, value, ttlMs) {
      entries.set(key, { type: 'string', data: value, expiresAt: expiry(ttlMs) })
    },
    del(...keys) {
      let n = 0
      for (const key of keys) if (live(key) !== undefined && entries.delete(key)) n++
      return n
    },
    exists: (key) => live(key) !== undefined,
    incrBy(key, by) {
      assertSafeInteger(by, 'by')
      return incr(key, by, undefined)
    },
    pttl(key) {
      const entry = live(key)
      if (entry === undefined) return -2
      return entry.expiresAt === null ? -1 : Math.max(0, entry.expiresAt - clock())
    },
    pexpire(key, ttlMs) {
      const entry = live(key)
      if (entry === undefined) return false
      // As Redis: a non-positive TTL deletes the key.
      if (ttlMs <= 0) entries.delete(key)
      else entry.expiresAt = clock() + Math.ceil(ttlMs)
      return true
    },
    hget(key, field) {
      const value = hashOf(key, false)?.get(field)
      return value === undefined ? null : spelled(value)
    },
    hgetNumber: (key, field) => numeric(hashOf(key, false)?.get(field)),
    hset(key, field, value) {
      const hash = hashOf(key, true) as Map<string, Stored>
      const size = hash.size
      hash.set(field, value)
      return hash.size > size
    },
    hdel(key, ...fields) {
      const hash = hashOf(key, false)
      if (hash === undefined) return 0
      let n = 0
      for (const field of fields) if (hash.delete(field)) n++
      if (hash.size === 0) entries.delete(key)
      return n
    },
    hincrBy(key, field, by) {
      assertSafeInteger(by, 'by')
      const hash = hashOf(key, true) as Map<string, Stored>
      const current = hash.get(field)
      const next = added(current === undefined ? 0 : integerOf(current, `hash value of ${key} ${field}`), by)
      hash.set(field, next)
      return next
    },
    hgetall: (key) =>
      Object.fromEntries(Array.from(hashOf(key, false) ?? [], ([field, value]) => [field, spelled(value)])),
    zadd(key, score, member) {
      if (Number.isNaN(score)) throw new TypeError('score is not a number')
      return (zsetOf(key, true) as SortedSet).add(score, member)
    },
    zrem(key, ...members) {
      const set = zsetOf(key, false)
      if (set === undefined) return 0
      let n = 0
      for (const member of members) if (set.remove(member)) n++
      if (set.size === 0) entries.delete(key)
      return n
    },
    zscore: (key, member) => zsetOf(key, false)?.score(member) ?? null,
    zcard: (key) => zsetOf(key, false)?.size ?? 0,
    zrange: (key, start, stop) => zsetOf(key, false)?.range(start, stop) ?? [],
    zrangeByScore: (key, min, max) => zsetOf(key, false)?.rangeByScore(min, max) ?? [],
    zremRangeByScore(key, min, max) {
      const set = zsetOf(key, false)
      if (set === undefined) return 0
      const removed = set.removeRangeByScore(min, max)
      if (set.size === 0) entries.delete(key)
      return removed
    },
  }

  // Synchronous from start to end: no other caller can interleave, so it is atomic.
  const runScriptNow = <Result>(
    script: AtomicScript<Result>,
    keys: readonly string[],
    args: readonly (string | number)[] = [],
  ): Result => {
    const scriptArgs = toMemoryScriptArgs(args)
    let reply: ScriptReply
    scriptStartedAt = Date.now()
    try {
      reply = toScriptReply(script.memory(store, keys, scriptArgs))
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err)
      throw new Error(`script ${script.name} failed: ${message}`, { cause: err })
    } finally {
      scriptStartedAt = null
    }
    return script.parse(reply)
  }

  return {
    async get(key) {
      return stringOf(key)
    },
    async set(key, value, ttlMs) {
      store.set(key, value, ttlMs)
    },
    async del(key) {
      entries.delete(key)
    },
    async incrBy(key, by, ttlMs) {
      assertSafeInteger(by, 'by')
      return incr(key, by, ttlMs)
    },
    async hit(key, limit, windowMs): Promise<HitResult> {
      assertSafeInteger(limit, 'limit')
      const window = toDurationMs(windowMs, 'windowMs')
      const count = incr(key, 1, window)
      // As in Redis: a counter without a TTL (set by hand) gets the window, so it cannot block forever.
      const entry = live(key)
      if (entry !== undefined && entry.expiresAt === null) entry.expiresAt = Date.now() + window
      const expiresAt = entry?.expiresAt ?? Date.now() + window
      return {
        allowed: count <= limit,
        remaining: Math.max(0, limit - count),
        resetMs: Math.max(0, expiresAt - Date.now()),
      }
    },
    async runScript(script, keys, args = []) {
      return runScriptNow(script, keys, args)
    },
    runScriptNow,
    async streamAppend(key, data, { maxLen, ttlMs }) {
      if (!Number.isSafeInteger(maxLen) || maxLen < 1)
        throw new RangeError('maxLen must be a positive integer')
      const expiresAt = Date.now() + toDurationMs(ttlMs, 'ttlMs')
      let entry = live(key)
      if (entry === undefined) {
        entry = { type: 'stream', data: { entries: [], lastMs: 0, lastSeq: 0 }, expiresAt }
        entries.set(key, entry)
      }
      if (entry.type !== 'stream') throw wrongType()
      const stream = entry.data
      // As Redis's `*`: the clock's millisecond, or the last one with the next sequence number.
      const now = Date.now()
      if (now > stream.lastMs) {
        stream.lastMs = now
        stream.lastSeq = 0
      } else {
        stream.lastSeq++
      }
      const id = `${stream.lastMs}-${stream.lastSeq}`
      stream.entries.push({ id, data })
      if (stream.entries.length > maxLen) stream.entries.splice(0, stream.entries.length - maxLen)
      entry.expiresAt = expiresAt
      wake(key)
      return id
    },
    async streamRead(key, afterId, count = 100) {
      return streamRead(key, afterId, count)
    },
    async streamReadBlocking(key, afterId, timeoutMs, count = 100) {
      const timeout = toDurationMs(timeoutMs, 'timeoutMs')
      const ready = streamRead(key, afterId, count)
      if (ready.length > 0 || closed) return ready
      return new Promise<StreamEntry[]>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer)
          waiters.get(key)?.delete(done)
          try {
            resolve(closed ? [] : streamRead(key, afterId, count))
          } catch (err) {
            reject(err)
          }
        }
        const timer = setTimeout(done, timeout)
        let set = waiters.get(key)
        if (set === undefined) {
          set = new Set()
          waiters.set(key, set)
        }
        set.add(done)
      })
    },
    async ping() {
      return !closed
    },
    async close() {
      closed = true
      clearInterval(sweep)
      entries.clear()
      for (const key of [...waiters.keys()]) wake(key)
    },
  }
}
