import { toDurationMs } from '../durations.ts'
import { ExpiringMap } from '../expiring-map.ts'
import type { EventLogs, LogEntry } from './event-logs.ts'

/** A log: its entries oldest first, each numbered, and the last number handed out (never reused). */
interface Log {
  entries: { seq: number; data: string }[]
  lastSeq: number
}

/** Reads an id this implementation made: a sequence number, '0' before the first. */
function seqOf(id: string): number {
  if (!/^(0|[1-9]\d*)$/.test(id)) throw new RangeError(`invalid log id ${JSON.stringify(id)}`)
  return Number(id)
}

export interface MemoryEventLogs extends EventLogs {
  /** Answers every blocking read in flight with `[]`, and every later one at once. */
  close(): void
}

/** EventLogs in one process's memory: arrays, with blocked readers woken by an append to their log. */
export function createMemoryEventLogs(): MemoryEventLogs {
  const logs = new ExpiringMap<Log>()
  const waiters = new Map<string, Set<() => void>>()
  let closed = false

  const read = (key: string, afterId: string, count: number): LogEntry[] => {
    const after = seqOf(afterId)
    const entries = logs.get(key)?.entries ?? []
    // Readers are usually near the end: find the first entry past `after` from there.
    let from = entries.length
    while (from > 0 && (entries[from - 1] as { seq: number }).seq > after) from--
    return entries.slice(from, from + count).map((e) => ({ id: String(e.seq), data: e.data }))
  }
  const wake = (key: string) => {
    const set = waiters.get(key)
    if (set === undefined) return
    waiters.delete(key)
    for (const resolve of set) resolve()
  }

  return {
    async append(key, data, { maxLen, ttlMs }) {
      if (!Number.isSafeInteger(maxLen) || maxLen < 1)
        throw new RangeError('maxLen must be a positive integer')
      const ttl = toDurationMs(ttlMs, 'ttlMs')
      const log = logs.get(key) ?? { entries: [], lastSeq: 0 }
      log.lastSeq++
      log.entries.push({ seq: log.lastSeq, data })
      if (log.entries.length > maxLen) log.entries.splice(0, log.entries.length - maxLen)
      logs.set(key, log, ttl)
      wake(key)
      return String(log.lastSeq)
    },
    async read(key, afterId, count = 100) {
      return read(key, afterId, count)
    },
    async readBlocking(key, afterId, timeoutMs, count = 100) {
      const timeout = toDurationMs(timeoutMs, 'timeoutMs')
      const ready = read(key, afterId, count)
      if (ready.length > 0 || closed) return ready
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer)
          waiters.get(key)?.delete(done)
          resolve()
        }
        const timer = setTimeout(done, timeout)
        let set = waiters.get(key)
        if (set === undefined) {
          set = new Set()
          waiters.set(key, set)
        }
        set.add(done)
      })
      return closed ? [] : read(key, afterId, count)
    },
    close() {
      closed = true
      for (const key of [...waiters.keys()]) wake(key)
    },
  }
}
