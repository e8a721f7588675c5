import type { Redis } from 'ioredis'
import { toDurationMs } from '../durations.ts'
import type { EventLogs, LogEntry } from './event-logs.ts'

/** CLIENT SETNAME of the connection blocking reads share (one per state). */
export const LOG_READER_NAME = 'switchyard-stream-reader'

/** How long one XREAD waits before the loop looks again. */
const XREAD_BLOCK_MS = 5_000

/** A blocking read waiting for entries after `afterId`. */
interface Waiter {
  afterId: string
  count: number
  settle(entries: LogEntry[]): void
}

/** `XRANGE`/`XREAD` entries (RESP2): [id, [field, value, ...]]; the data is the `d` field. */
type RawEntries = [id: string, fields: string[]][]
const toEntries = (raw: RawEntries | null | undefined): LogEntry[] =>
  (raw ?? []).map(([id, fields]) => ({ id, data: fields[fields.indexOf('d') + 1] ?? '' }))

/** Checks an id: `'0'` or a stream id `<ms>-<seq>`. */
function toStreamId(id: string): string {
  if (id === '0') return '0-0'
  if (!/^\d+-\d+$/.test(id)) throw new RangeError(`invalid log id ${JSON.stringify(id)}`)
  return id
}

/** Compares two `<ms>-<seq>` ids as Redis orders them. */
function compareStreamIds(a: string, b: string): number {
  const [am = 0n, as = 0n] = a.split('-').map(BigInt)
  const [bm = 0n, bs = 0n] = b.split('-').map(BigInt)
  if (am !== bm) return am < bm ? -1 : 1
  return as === bs ? 0 : as < bs ? -1 : 1
}

export interface RedisEventLogs extends EventLogs {
  /** Answers every blocking read in flight with `[]` and drops the readers' connection. */
  close(): void
}

/**
 * EventLogs on Redis streams: XADD with MAXLEN and PEXPIRE in one transaction, XRANGE, and XREAD
 * BLOCK for waiting readers. Blocking reads share one connection of their own (XREAD BLOCK holds a
 * connection until it answers, so the shared one cannot run it): one XREAD over every key someone
 * waits on. A new waiter interrupts the XREAD in progress (CLIENT UNBLOCK) so the next one
 * includes its key.
 */
export function createRedisEventLogs(redis: Redis, prefix: string): RedisEventLogs {
  const k = (key: string) => prefix + key
  let closed = false
  const waiters = new Map<string, Set<Waiter>>()
  let reader: Redis | undefined
  let readerId: number | undefined
  let reading = false
  let round = 0
  let blocked = false

  const removeWaiter = (key: string, waiter: Waiter) => {
    const set = waiters.get(key)
    set?.delete(waiter)
    if (set?.size === 0) waiters.delete(key)
  }
  const deliver = (key: string, entries: LogEntry[]) => {
    for (const waiter of [...(waiters.get(key) ?? [])]) {
      const mine = entries.filter((e) => compareStreamIds(e.id, waiter.afterId) > 0).slice(0, waiter.count)
      if (mine.length > 0) waiter.settle(mine)
    }
  }
  const interrupt = (target: number, tries = 0) => {
    if (readerId === undefined || !blocked || round !== target) return
    redis.client('UNBLOCK', readerId).then(
      // 0: the XREAD has not reached the server yet; try again until it has, or has ended.
      (unblocked) => {
        if (Number(unblocked) === 0 && tries < 100) setTimeout(() => interrupt(target, tries + 1), 2)
      },
      () => {},
    )
  }
  const readLoop = async () => {
    if (reading) return
    reading = true
    try {
      while (!closed && waiters.size > 0) {
        if (reader === undefined) {
          reader = redis.duplicate({
            connectionName: LOG_READER_NAME,
            // The reader's first commands run while it connects; its XREAD blocks for up to 5 s by design.
            enableOfflineQueue: true,
            commandTimeout: XREAD_BLOCK_MS + 1_000,
          })
          // Failures reach the XREAD that was running; the event itself only needs a listener.
          reader.on('error', () => {})
        }
        readerId ??= Number(await reader.client('ID'))
        const keys = [...waiters.keys()]
        const ids = keys.map((key) => {
          const afterIds = [...(waiters.get(key) ?? [])].map((w) => w.afterId)
          return afterIds.reduce((a, b) => (compareStreamIds(a, b) <= 0 ? a : b))
        })
        const count = Math.max(...[...waiters.values()].flatMap((set) => [...set].map((w) => w.count)))
        round++
        blocked = true
        let reply: [string, RawEntries][] | null
        try {
          reply = (await reader.xread('COUNT', count, 'BLOCK', XREAD_BLOCK_MS, 'STREAMS', ...keys, ...ids)) as
            | [string, RawEntries][]
            | null
        } finally {
          blocked = false
        }
        for (const [key, raw] of reply ?? []) deliver(key, toEntries(raw))
      }
    } catch {
      // The reader's connection failed: its waiters answer [] (callers read again, which surfaces a
      // Redis that stays down), and the next waiter starts over on a new connection id.
      readerId = undefined
      for (const set of [...waiters.values()]) for (const waiter of [...set]) waiter.settle([])
    } finally {
      reading = false
    }
  }

  return {
    async append(key, data, { maxLen, ttlMs }) {
      if (!Number.isSafeInteger(maxLen) || maxLen < 1)
        throw new RangeError('maxLen must be a positive integer')
      const ttl = toDurationMs(ttlMs, 'ttlMs')
      const replies = await redis
        .multi()
        .xadd(k(key), 'MAXLEN', maxLen, '*', 'd', data)
        .pexpire(k(key), ttl)
        .exec()
      const [added] = replies ?? []
      if (added === undefined) throw new Error('append: the transaction was discarded')
      if (added[0]) throw added[0]
      return String(added[1])
    },
    async read(key, afterId, count = 100) {
      const raw = await redis.xrange(k(key), `(${toStreamId(afterId)}`, '+', 'COUNT', count)
      return toEntries(raw as RawEntries)
    },
    async readBlocking(key, afterId, timeoutMs, count = 100) {
      const timeout = toDurationMs(timeoutMs, 'timeoutMs')
      const after = toStreamId(afterId)
      if (closed) return []
      const ready = toEntries((await redis.xrange(k(key), `(${after}`, '+', 'COUNT', count)) as RawEntries)
      if (ready.length > 0 || closed) return ready
      return new Promise<LogEntry[]>((resolve) => {
        const waiter: Waiter = {
          afterId: after,
          count,
          settle(entries) {
            clearTimeout(timer)
            removeWaiter(k(key), waiter)
            resolve(entries)
          },
        }
        const timer = setTimeout(() => waiter.settle([]), timeout)
        let set = waiters.get(k(key))
        if (set === undefined) {
          set = new Set()
          waiters.set(k(key), set)
        }
        set.add(waiter)
        if (reading) interrupt(round)
        else void readLoop()
      })
    },
    close() {
      closed = true
      for (const set of [...waiters.values()]) for (const waiter of [...set]) waiter.settle([])
      reader?.disconnect()
    },
  }
}
