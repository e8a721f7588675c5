import { defineAtomicScript, type ScriptStore } from '@switchyard/kit'

// Requests and tokens per minute as a sliding log: every admitted request is a member of its
// scope's sorted set (`log`, scored by the time it was admitted) with its token count in a hash
// (`weights`) and the sum of those counts in a string (`used`). A request is admitted only if, for
// every scope at once, fewer than `rpm` requests and at most `tpm - tokens` tokens were admitted in
// the last window; otherwise nothing is written. The log is exact: no window edge lets a burst
// through twice, as fixed windows do.
//
// KEYS: three per scope, in order: log, weights, used.
// ARGV: now (ms), window (ms), request id, tokens, then per scope: rpm, tpm (-1: no limit).
// Reply: {} when admitted; otherwise every limit that failed as a flat list of
//   scope index (1-based), kind (1 = rpm, 2 = tpm), retry-after ms (-1: never fits), limit, in use.

/** One failed limit as the admit script reports it. */
export interface LimitFailure {
  /** Index into the scopes passed, 0-based. */
  scope: number
  kind: 'rpm' | 'tpm'
  /** Milliseconds until the request would fit; null when it never can (tokens over the limit). */
  retryAfterMs: number | null
  limit: number
  /** Requests or tokens counted in the window when it was checked. */
  inUse: number
}

function parseFailures(reply: unknown): LimitFailure[] {
  const flat = (reply ?? []) as number[]
  const failures: LimitFailure[] = []
  for (let i = 0; i + 4 < flat.length; i += 5) {
    const [scope = 0, kind, retry = -1, limit = 0, inUse = 0] = flat.slice(i, i + 5)
    failures.push({
      scope: scope - 1,
      kind: kind === 1 ? 'rpm' : 'tpm',
      retryAfterMs: retry < 0 ? null : retry,
      limit,
      inUse,
    })
  }
  return failures
}

// Shared by the three scripts: drops what left the window; a log left empty resets its sum, so a
// drift (a crash between writes can't happen inside a script, but a hand edit can) heals itself.
const luaEvict = `
local function evict(log, weights, used, cutoff)
  local old = redis.call('ZRANGEBYSCORE', log, '-inf', cutoff)
  if #old == 0 then return end
  local freed = 0
  for _, member in ipairs(old) do
    freed = freed + tonumber(redis.call('HGET', weights, member) or '0')
    redis.call('HDEL', weights, member)
  end
  redis.call('ZREMRANGEBYSCORE', log, '-inf', cutoff)
  if redis.call('ZCARD', log) == 0 then
    redis.call('DEL', used, weights)
  else
    redis.call('DECRBY', used, freed)
  end
end
`

// In memory the oldest entries are taken one at a time: in a steady stream one or two leave per
// admission, while the memory store's range calls walk the whole log (about 100 µs at 5 000
// entries, on every admission of every scope).
function evict(store: ScriptStore, log: string, weights: string, used: string, cutoff: number): void {
  let freed = 0
  let removed = 0
  for (;;) {
    const [oldest] = store.zrange(log, 0, 0)
    if (oldest === undefined || oldest.score > cutoff) break
    freed += Number(store.hget(weights, oldest.member) ?? '0')
    store.hdel(weights, oldest.member)
    store.zrem(log, oldest.member)
    removed++
  }
  if (removed === 0) return
  if (store.zcard(log) === 0) store.del(used, weights)
  else store.incrBy(used, -freed)
}

const scopeKeys = (keys: readonly string[], i: number): [string, string, string] => [
  keys[3 * i] ?? '',
  keys[3 * i + 1] ?? '',
  keys[3 * i + 2] ?? '',
]

export const admitRateScript = defineAtomicScript({
  name: 'llm-router.limits.admit',
  lua: `${luaEvict}
local now, window, id, tokens = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local scopes = #KEYS / 3
local failures = {}
local function fail(i, kind, retry, limit, inUse)
  for _, v in ipairs({ i, kind, retry, limit, inUse }) do failures[#failures + 1] = v end
end
for i = 1, scopes do
  local log, weights, used = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  local rpm, tpm = tonumber(ARGV[3 + 2 * i]), tonumber(ARGV[4 + 2 * i])
  evict(log, weights, used, now - window)
  local count = redis.call('ZCARD', log)
  if rpm >= 0 and count + 1 > rpm then
    -- The request fits once count - rpm + 1 of the oldest have left: the one at rank count - rpm.
    local entry = redis.call('ZRANGE', log, count - rpm, count - rpm, 'WITHSCORES')
    fail(i, 1, tonumber(entry[2]) + window - now, rpm, count)
  end
  local inUse = tonumber(redis.call('GET', used) or '0')
  if tpm >= 0 and inUse + tokens > tpm then
    local retry = -1
    if tokens <= tpm then
      -- Oldest first, until enough tokens have left the window.
      local need, freed = inUse + tokens - tpm, 0
      retry = window
      local entries = redis.call('ZRANGE', log, 0, -1, 'WITHSCORES')
      for j = 1, #entries, 2 do
        freed = freed + tonumber(redis.call('HGET', weights, entries[j]) or '0')
        if freed >= need then
          retry = tonumber(entries[j + 1]) + window - now
          break
        end
      end
    end
    fail(i, 2, retry, tpm, inUse)
  end
end
if #failures > 0 then return failures end
for i = 1, scopes do
  local log, weights, used = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  redis.call('ZADD', log, now, id)
  redis.call('HSET', weights, id, tokens)
  redis.call('INCRBY', used, tokens)
  -- Every member is younger than the window: the keys can go a window after the newest.
  redis.call('PEXPIRE', log, window)
  redis.call('PEXPIRE', weights, window)
  redis.call('PEXPIRE', used, window)
end
return failures
`,
  memory: (store, keys, [nowArg = '0', windowArg = '0', id = '', tokensArg = '0', ...limits]) => {
    const now = Number(nowArg)
    const window = Number(windowArg)
    const tokens = Number(tokensArg)
    const scopes = keys.length / 3
    const failures: number[] = []
    for (let i = 0; i < scopes; i++) {
      const [log, weights, used] = scopeKeys(keys, i)
      const rpm = Number(limits[2 * i])
      const tpm = Number(limits[2 * i + 1])
      evict(store, log, weights, used, now - window)
      const count = store.zcard(log)
      if (rpm >= 0 && count + 1 > rpm) {
        const [entry] = store.zrange(log, count - rpm, count - rpm)
        failures.push(i + 1, 1, (entry?.score ?? now) + window - now, rpm, count)
      }
      const inUse = Number(store.get(used) ?? '0')
      if (tpm >= 0 && inUse + tokens > tpm) {
        let retry = -1
        if (tokens <= tpm) {
          const need = inUse + tokens - tpm
          let freed = 0
          retry = window
          for (const entry of store.zrange(log, 0, -1)) {
            freed += Number(store.hget(weights, entry.member) ?? '0')
            if (freed >= need) {
              retry = entry.score + window - now
              break
            }
          }
        }
        failures.push(i + 1, 2, retry, tpm, inUse)
      }
    }
    if (failures.length > 0) return failures
    for (let i = 0; i < scopes; i++) {
      const [log, weights, used] = scopeKeys(keys, i)
      store.zadd(log, now, id)
      store.hset(weights, id, String(tokens))
      store.incrBy(used, tokens)
      store.pexpire(log, window)
      store.pexpire(weights, window)
      store.pexpire(used, window)
    }
    return failures
  },
  parse: parseFailures,
})

// KEYS: as admit. ARGV: request id, tokens (>= 0 replaces the request's count; -1 removes the
// request from the log altogether, as if it had never been admitted). A request that already
// left the window is not touched. Reply: how many scopes still held it.
export const correctRateScript = defineAtomicScript({
  name: 'llm-router.limits.correct',
  lua: `
local id, tokens = ARGV[1], tonumber(ARGV[2])
local found = 0
for i = 1, #KEYS / 3 do
  local log, weights, used = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  if redis.call('ZSCORE', log, id) then
    found = found + 1
    local old = tonumber(redis.call('HGET', weights, id) or '0')
    if tokens < 0 then
      redis.call('ZREM', log, id)
      redis.call('HDEL', weights, id)
      redis.call('DECRBY', used, old)
    else
      redis.call('HSET', weights, id, tokens)
      redis.call('INCRBY', used, tokens - old)
    end
  end
end
return found
`,
  memory: (store, keys, [id = '', tokensArg = '0']) => {
    const tokens = Number(tokensArg)
    let found = 0
    for (let i = 0; i < keys.length / 3; i++) {
      const [log, weights, used] = scopeKeys(keys, i)
      if (store.zscore(log, id) === null) continue
      found++
      const old = Number(store.hget(weights, id) ?? '0')
      if (tokens < 0) {
        store.zrem(log, id)
        store.hdel(weights, id)
        store.incrBy(used, -old)
      } else {
        store.hset(weights, id, String(tokens))
        store.incrBy(used, tokens - old)
      }
    }
    return found
  },
  parse: (reply) => Number(reply),
})
