import { createHash } from 'node:crypto'
import type { Redis } from 'ioredis'
import { type AtomicScript, type ScriptReply, toScriptArgs } from './atomic-script.ts'
import {
  assertSafeInteger,
  compareStreamIds,
  type HitResult,
  type SharedState,
  type StreamEntry,
  toDurationMs,
  toStreamId,
} from './shared-state.ts'

export interface RedisStateOptions {
  /** Prepended to every key, so several deployments or tests can share one Redis. Default 'switchyard:'. */
  prefix?: string
}

/** CLIENT SETNAME of the connection blocking stream reads share (one per state). */
export const STREAM_READER_NAME = 'switchyard-stream-reader'

/** A blocking stream read waiting for entries after `afterId`. */
interface StreamWaiter {
  afterId: string
  count: number
  settle(entries: StreamEntry[]): void
}

/** `XRANGE`/`XREAD` entries (RESP2): [id, [field, value, ...]]; the data is the `d` field. */
type RawEntries = [id: string, fields: string[]][]
const toEntries = (raw: RawEntries | null | undefined): StreamEntry[] =>
  (raw ?? []).map(([id, fields]) => ({ id, data: fields[fields.indexOf('d') + 1] ?? '' }))

/**
 * Fixed window: the first hit creates the counter with the window as its TTL. A counter that lost
 * its TTL (a PERSIST, a failover mid-script) gets it back, so a key can never block forever.
 * Returns { count, pttl }.
 */
const hitScript = `
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return { count, ttl }
`

/** INCRBY that sets the TTL only when it creates the key, in one step. */
const incrByScript = `
local existed = redis.call('EXISTS', KEYS[1])
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if existed == 0 and tonumber(ARGV[2]) > 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return value
`

interface SwitchyardCommands {
  switchyardHit(key: string, windowMs: number): Promise<[number, number]>
  switchyardIncrBy(key: string, by: number, ttlMs: number): Promise<number>
}

/**
 * SharedState on Redis. The state owns the client from here on: `close()` quits it. The scripts
 * are sent by EVALSHA (ioredis loads them on first use), each one atomic on the server.
 */
export function createRedisState(redis: Redis, options: RedisStateOptions = {}): SharedState {
  const prefix = options.prefix ?? 'switchyard:'
  redis.defineCommand('switchyardHit', { numberOfKeys: 1, lua: hitScript })
  redis.defineCommand('switchyardIncrBy', { numberOfKeys: 1, lua: incrByScript })
  const commands = redis as Redis & SwitchyardCommands
  const k = (key: string) => prefix + key
  // sha1 per script text, computed once: EVALSHA sends 40 bytes instead of the whole script.
  const shas = new WeakMap<AtomicScript<unknown>, string>()
  // Blocking stream reads share one connection of their own (XREAD BLOCK holds a connection until
  // it answers, so the shared one cannot run it): one XREAD over every key someone waits on. A new
  // waiter interrupts the XREAD in progress (CLIENT UNBLOCK) so the next one includes its key.
  let closed = false
  const waiters = new Map<string, Set<StreamWaiter>>()
  let reader: Redis | undefined
  let readerId: number | undefined
  let reading = false
  let round = 0
  let blocked = false

  const removeWaiter = (key: string, waiter: StreamWaiter) => {
    const set = waiters.get(key)
    set?.delete(waiter)
    if (set?.size === 0) waiters.delete(key)
  }
  const deliver = (key: string, entries: StreamEntry[]) => {
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
          reader = redis.duplicate({ connectionName: STREAM_READER_NAME })
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
          reply = (await reader.xread('COUNT', count, 'BLOCK', 5_000, 'STREAMS', ...keys, ...ids)) as
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
    async get(key) {
      return redis.get(k(key))
    },
    async set(key, value, ttlMs) {
      if (ttlMs === undefined) await redis.set(k(key), value)
      else await redis.set(k(key), value, 'PX', toDurationMs(ttlMs, 'ttlMs'))
    },
    async del(key) {
      await redis.del(k(key))
    },
    async incrBy(key, by, ttlMs) {
      assertSafeInteger(by, 'by')
      const ttl = ttlMs === undefined ? 0 : toDurationMs(ttlMs, 'ttlMs')
      return Number(await commands.switchyardIncrBy(k(key), by, ttl))
    },
    async hit(key, limit, windowMs): Promise<HitResult> {
      assertSafeInteger(limit, 'limit')
      const window = toDurationMs(windowMs, 'windowMs')
      const [count, ttl] = await commands.switchyardHit(k(key), window)
      return { allowed: count <= limit, remaining: Math.max(0, limit - count), resetMs: Math.max(0, ttl) }
    },
    async runScript(script, keys, args = []) {
      let sha = shas.get(script)
      if (sha === undefined) {
        sha = createHash('sha1').update(script.lua).digest('hex')
        shas.set(script, sha)
      }
      const params = [...keys.map(k), ...toScriptArgs(args)]
      let reply: unknown
      try {
        reply = await redis.evalsha(sha, keys.length, ...params)
      } catch (err) {
        // The server lost its script cache (restart, failover, SCRIPT FLUSH): EVAL sends the text
        // and caches it again. Running it twice is not a risk: NOSCRIPT means it did not run.
        if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw scriptError(script, err)
        try {
          reply = await redis.eval(script.lua, keys.length, ...params)
        } catch (evalErr) {
          throw scriptError(script, evalErr)
        }
      }
      return script.parse(reply as ScriptReply)
    },
    async streamAppend(key, data, { maxLen, ttlMs }) {
      if (!Number.isSafeInteger(maxLen) || maxLen < 1)
        throw new RangeError('maxLen must be a positive integer')
      const ttl = toDurationMs(ttlMs, 'ttlMs')
      const replies = await redis
        .multi()
        .xadd(k(key), 'MAXLEN', maxLen, '*', 'd', data)
        .pexpire(k(key), ttl)
        .exec()
      const [added] = replies ?? []
      if (added === undefined) throw new Error('streamAppend: the transaction was discarded')
      if (added[0]) throw added[0]
      return String(added[1])
    },
    async streamRead(key, afterId, count = 100) {
      const raw = await redis.xrange(k(key), `(${toStreamId(afterId)}`, '+', 'COUNT', count)
      return toEntries(raw as RawEntries)
    },
    async streamReadBlocking(key, afterId, timeoutMs, count = 100) {
      const timeout = toDurationMs(timeoutMs, 'timeoutMs')
      const after = toStreamId(afterId)
      if (closed) return []
      const ready = toEntries((await redis.xrange(k(key), `(${after}`, '+', 'COUNT', count)) as RawEntries)
      if (ready.length > 0 || closed) return ready
      return new Promise<StreamEntry[]>((resolve) => {
        const waiter: StreamWaiter = {
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
    async ping() {
      try {
        return (await redis.ping()) === 'PONG'
      } catch {
        return false
      }
    },
    async close() {
      closed = true
      for (const set of [...waiters.values()]) for (const waiter of [...set]) waiter.settle([])
      reader?.disconnect()
      if (redis.status === 'end') return
      await redis.quit().catch(() => redis.disconnect())
    },
  }
}

function scriptError(script: AtomicScript<unknown>, err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err)
  return new Error(`script ${script.name} failed: ${message}`, { cause: err })
}
