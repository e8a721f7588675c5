import type { ScriptStore } from '@switchyard/kit'

// Requests and tokens per minute as a sliding log: every admitted request is a member of its
// scope's sorted set (`log`, scored by the time it was admitted) with its token count in a hash
// (`weights`) and the sum of those counts in a string (`used`). A request is admitted only if, for
// every scope at once, fewer than `rpm` requests and at most `tpm - tokens` tokens were admitted in
// the last window; otherwise nothing is written. The log is exact: no window edge lets a burst
// through twice, as fixed windows do.
//
// Three keys per scope: log, weights, used. These are the rate-limit parts of the scripts in
// admission-scripts.ts, each in Lua (Redis) and in JS (memory), kept side by side.
//
// A failure is reported as five numbers: scope index (1-based), kind (1 = rpm, 2 = tpm),
// retry-after ms (-1: never fits), limit, in use.

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

export function parseRateFailures(flat: readonly number[]): LimitFailure[] {
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

// rate_evict drops what left the window; a log left empty resets its sum, so a drift (a crash
// between writes can't happen inside a script, but a hand edit can) heals itself.
export const luaRate = `
local function rate_evict(log, weights, used, cutoff)
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
local function rate_check(failures, i, log, weights, used, rpm, tpm, now, window, tokens)
  rate_evict(log, weights, used, now - window)
  local count = redis.call('ZCARD', log)
  if rpm >= 0 and count + 1 > rpm then
    -- The request fits once count - rpm + 1 of the oldest have left: the one at rank count - rpm.
    local entry = redis.call('ZRANGE', log, count - rpm, count - rpm, 'WITHSCORES')
    -- At most a window: an entry stamped by a replica whose clock runs ahead is still in the future.
    local retry = math.min(tonumber(entry[2]) + window - now, window)
    for _, v in ipairs({ i, 1, retry, rpm, count }) do failures[#failures + 1] = v end
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
          retry = math.min(tonumber(entries[j + 1]) + window - now, window)
          break
        end
      end
    end
    for _, v in ipairs({ i, 2, retry, tpm, inUse }) do failures[#failures + 1] = v end
  end
end
local function rate_add(log, weights, used, now, window, id, tokens)
  redis.call('ZADD', log, now, id)
  redis.call('HSET', weights, id, tokens)
  redis.call('INCRBY', used, tokens)
  -- Every member is younger than the window: the keys can go a window after the newest.
  redis.call('PEXPIRE', log, window)
  redis.call('PEXPIRE', weights, window)
  redis.call('PEXPIRE', used, window)
end
-- tokens >= 0 replaces the request's count; -1 removes the request from the log altogether, as if
-- it had never been admitted. A request that already left the window is not touched.
local function rate_correct(log, weights, used, id, tokens)
  if not redis.call('ZSCORE', log, id) then return end
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
`

// The JS parts take the script's KEYS and the index of the scope's first key (log, then weights and
// used), so a request's admission allocates no key triple per scope.

function rateEvict(store: ScriptStore, keys: readonly string[], k: number, cutoff: number): void {
  const log = keys[k] ?? ''
  const weights = keys[k + 1] ?? ''
  const old = store.zrangeByScore(log, Number.NEGATIVE_INFINITY, cutoff)
  if (old.length === 0) return
  let freed = 0
  for (const { member } of old) {
    freed += store.hgetNumber(weights, member) ?? 0
    store.hdel(weights, member)
  }
  store.zremRangeByScore(log, Number.NEGATIVE_INFINITY, cutoff)
  const used = keys[k + 2] ?? ''
  if (store.zcard(log) === 0) store.del(used, weights)
  else store.incrBy(used, -freed)
}

export function rateCheck(
  store: ScriptStore,
  keys: readonly string[],
  k: number,
  failures: number[],
  i: number,
  rpm: number,
  tpm: number,
  now: number,
  window: number,
  tokens: number,
): void {
  const log = keys[k] ?? ''
  rateEvict(store, keys, k, now - window)
  const count = store.zcard(log)
  if (rpm >= 0 && count + 1 > rpm) {
    const [entry] = store.zrange(log, count - rpm, count - rpm)
    // At most a window: an entry stamped by a replica whose clock runs ahead is still in the future.
    failures.push(i, 1, Math.min((entry?.score ?? now) + window - now, window), rpm, count)
  }
  const inUse = store.getNumber(keys[k + 2] ?? '') ?? 0
  if (tpm >= 0 && inUse + tokens > tpm) {
    let retry = -1
    if (tokens <= tpm) {
      const need = inUse + tokens - tpm
      let freed = 0
      retry = window
      for (const entry of store.zrange(log, 0, -1)) {
        freed += store.hgetNumber(keys[k + 1] ?? '', entry.member) ?? 0
        if (freed >= need) {
          retry = Math.min(entry.score + window - now, window)
          break
        }
      }
    }
    failures.push(i, 2, retry, tpm, inUse)
  }
}

export function rateAdd(
  store: ScriptStore,
  keys: readonly string[],
  k: number,
  now: number,
  window: number,
  id: string,
  tokens: number,
): void {
  const log = keys[k] ?? ''
  const weights = keys[k + 1] ?? ''
  const used = keys[k + 2] ?? ''
  store.zadd(log, now, id)
  store.hset(weights, id, String(tokens))
  store.incrBy(used, tokens)
  store.pexpire(log, window)
  store.pexpire(weights, window)
  store.pexpire(used, window)
}

export function rateCorrect(
  store: ScriptStore,
  keys: readonly string[],
  k: number,
  id: string,
  tokens: number,
): void {
  const log = keys[k] ?? ''
  if (store.zscore(log, id) === null) return
  const weights = keys[k + 1] ?? ''
  const used = keys[k + 2] ?? ''
  const old = store.hgetNumber(weights, id) ?? 0
  if (tokens < 0) {
    store.zrem(log, id)
    store.hdel(weights, id)
    store.incrBy(used, -old)
  } else {
    store.hset(weights, id, String(tokens))
    store.incrBy(used, tokens - old)
  }
}
