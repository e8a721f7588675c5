import type { ScriptStore } from '@switchyard/kit'

// Requests and tokens per minute as a sliding log kept by the second: each scope counts the
// requests and tokens admitted in each second of the window (hashes `counts` and `tokens`, by
// bucket = floor(ms / bucket length), a window being 60 buckets) and their sums (`totals`:
// requests, tokens, and the oldest bucket held). A request is admitted only if, for every scope at
// once, fewer than `rpm` requests and at most `tpm - tokens` tokens were admitted in the last
// window; otherwise nothing is written. A second's requests leave the window together, when its
// start is a window old: so the window slides a second at a time (no edge lets a burst through
// twice, as fixed windows do), and a scope holds at most 61 buckets however busy it is. (It was
// one entry per request: at a few thousand requests a second, hundreds of thousands of live
// entries per scope, whose churn was most of the router's limits cost.)
//
// Three keys per scope: counts, tokens, totals. These are the rate-limit parts of the scripts in
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

export const luaRate = `
local function rate_hadd(key, field, n)
  if n ~= 0 then redis.call('HINCRBY', key, field, n) end
end
-- Drops the buckets that left the window (those up to cutoff); a scope left empty loses its keys,
-- so a drift (a hand edit) heals itself.
local function rate_evict(counts, tokens, totals, cutoff, buckets)
  local oldest = tonumber(redis.call('HGET', totals, 'oldest') or '-1')
  if oldest < 0 or oldest > cutoff then return end
  local requests = tonumber(redis.call('HGET', totals, 'requests') or '0')
  local used = tonumber(redis.call('HGET', totals, 'tokens') or '0')
  if cutoff - oldest > 2 * buckets then
    redis.call('DEL', counts, tokens, totals)
    return
  end
  for b = oldest, cutoff do
    local n = redis.call('HGET', counts, b)
    if n then
      requests = requests - tonumber(n)
      used = used - tonumber(redis.call('HGET', tokens, b) or '0')
      redis.call('HDEL', counts, b)
      redis.call('HDEL', tokens, b)
    end
  end
  if requests <= 0 then
    redis.call('DEL', counts, tokens, totals)
  else
    redis.call('HSET', totals, 'requests', requests, 'tokens', used, 'oldest', cutoff + 1)
  end
end
-- The wait until enough of the oldest buckets' requests (field counts) or tokens have left.
local function rate_wait(hash, totals, need, now, window, bucket, buckets)
  local oldest = tonumber(redis.call('HGET', totals, 'oldest') or '-1')
  local freed = 0
  for b = oldest, oldest + 2 * buckets do
    freed = freed + tonumber(redis.call('HGET', hash, b) or '0')
    -- At most a window: a bucket filled by a replica whose clock runs ahead is still in the future.
    if freed >= need then return math.min(b * bucket + window - now, window) end
  end
  return window
end
local function rate_check(failures, i, counts, tokens, totals, rpm, tpm, now, window, asked)
  local buckets = 60
  local bucket = window / buckets
  rate_evict(counts, tokens, totals, math.floor((now - window) / bucket), buckets)
  local count = tonumber(redis.call('HGET', totals, 'requests') or '0')
  if rpm >= 0 and count + 1 > rpm then
    local retry = rate_wait(counts, totals, count - rpm + 1, now, window, bucket, buckets)
    for _, v in ipairs({ i, 1, retry, rpm, count }) do failures[#failures + 1] = v end
  end
  local inUse = tonumber(redis.call('HGET', totals, 'tokens') or '0')
  if tpm >= 0 and inUse + asked > tpm then
    local retry = -1
    if asked <= tpm then retry = rate_wait(tokens, totals, inUse + asked - tpm, now, window, bucket, buckets) end
    for _, v in ipairs({ i, 2, retry, tpm, inUse }) do failures[#failures + 1] = v end
  end
end
local function rate_add(counts, tokens, totals, now, window, asked)
  local b = math.floor(now / (window / 60))
  redis.call('HINCRBY', counts, b, 1)
  rate_hadd(tokens, b, asked)
  redis.call('HINCRBY', totals, 'requests', 1)
  rate_hadd(totals, 'tokens', asked)
  -- Lower than the oldest only from a replica whose clock runs behind: eviction must still find it.
  local oldest = tonumber(redis.call('HGET', totals, 'oldest') or '-1')
  if oldest < 0 or b < oldest then redis.call('HSET', totals, 'oldest', b) end
  -- Every bucket is younger than a window and a bucket: the keys can go that long after the newest.
  local ttl = window + window / 60
  redis.call('PEXPIRE', counts, ttl)
  redis.call('PEXPIRE', tokens, ttl)
  redis.call('PEXPIRE', totals, ttl)
end
-- A request admitted at admittedAt with estimate tokens: actual >= 0 replaces its tokens; -1 takes
-- it out altogether, as if it had never been admitted. One whose second already left is not touched.
local function rate_correct(counts, tokens, totals, admittedAt, window, estimate, actual)
  local b = math.floor(admittedAt / (window / 60))
  if not redis.call('HGET', counts, b) then return end
  if actual < 0 then
    redis.call('HINCRBY', counts, b, -1)
    rate_hadd(tokens, b, -estimate)
    redis.call('HINCRBY', totals, 'requests', -1)
    rate_hadd(totals, 'tokens', -estimate)
  else
    rate_hadd(tokens, b, actual - estimate)
    rate_hadd(totals, 'tokens', actual - estimate)
  end
end
`

// The JS parts take the script's KEYS and the index of the scope's first key (counts, then tokens
// and totals), so a request's admission allocates no key triple per scope.

const bucketsPerWindow = 60

function hadd(store: ScriptStore, key: string, field: string, n: number): void {
  if (n !== 0) store.hincrBy(key, field, n)
}

function rateEvict(store: ScriptStore, keys: readonly string[], k: number, cutoff: number): void {
  const counts = keys[k] ?? ''
  const tokens = keys[k + 1] ?? ''
  const totals = keys[k + 2] ?? ''
  const oldest = store.hgetNumber(totals, 'oldest') ?? -1
  if (oldest < 0 || oldest > cutoff) return
  if (cutoff - oldest > 2 * bucketsPerWindow) {
    store.del(counts, tokens, totals)
    return
  }
  let requests = store.hgetNumber(totals, 'requests') ?? 0
  let used = store.hgetNumber(totals, 'tokens') ?? 0
  for (let b = oldest; b <= cutoff; b++) {
    const field = String(b)
    const n = store.hgetNumber(counts, field)
    if (n === null) continue
    requests -= n
    used -= store.hgetNumber(tokens, field) ?? 0
    store.hdel(counts, field)
    store.hdel(tokens, field)
  }
  if (requests <= 0) {
    store.del(counts, tokens, totals)
    return
  }
  store.hset(totals, 'requests', String(requests))
  store.hset(totals, 'tokens', String(used))
  store.hset(totals, 'oldest', String(cutoff + 1))
}

function rateWait(
  store: ScriptStore,
  hash: string,
  totals: string,
  need: number,
  now: number,
  window: number,
): number {
  const bucket = window / bucketsPerWindow
  const oldest = store.hgetNumber(totals, 'oldest') ?? -1
  let freed = 0
  for (let b = oldest; b <= oldest + 2 * bucketsPerWindow; b++) {
    freed += store.hgetNumber(hash, String(b)) ?? 0
    // At most a window: a bucket filled by a replica whose clock runs ahead is still in the future.
    if (freed >= need) return Math.min(b * bucket + window - now, window)
  }
  return window
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
  asked: number,
): void {
  const totals = keys[k + 2] ?? ''
  rateEvict(store, keys, k, Math.floor((now - window) / (window / bucketsPerWindow)))
  const count = store.hgetNumber(totals, 'requests') ?? 0
  if (rpm >= 0 && count + 1 > rpm) {
    const retry = rateWait(store, keys[k] ?? '', totals, count - rpm + 1, now, window)
    failures.push(i, 1, retry, rpm, count)
  }
  const inUse = store.hgetNumber(totals, 'tokens') ?? 0
  if (tpm >= 0 && inUse + asked > tpm) {
    const retry =
      asked <= tpm ? rateWait(store, keys[k + 1] ?? '', totals, inUse + asked - tpm, now, window) : -1
    failures.push(i, 2, retry, tpm, inUse)
  }
}

export function rateAdd(
  store: ScriptStore,
  keys: readonly string[],
  k: number,
  now: number,
  window: number,
  asked: number,
): void {
  const counts = keys[k] ?? ''
  const tokens = keys[k + 1] ?? ''
  const totals = keys[k + 2] ?? ''
  const field = String(Math.floor(now / (window / bucketsPerWindow)))
  store.hincrBy(counts, field, 1)
  hadd(store, tokens, field, asked)
  store.hincrBy(totals, 'requests', 1)
  hadd(store, totals, 'tokens', asked)
  // Lower than the oldest only from a replica whose clock runs behind: eviction must still find it.
  const oldest = store.hgetNumber(totals, 'oldest') ?? -1
  if (oldest < 0 || Number(field) < oldest) store.hset(totals, 'oldest', field)
  const ttl = window + window / bucketsPerWindow
  store.pexpire(counts, ttl)
  store.pexpire(tokens, ttl)
  store.pexpire(totals, ttl)
}

export function rateCorrect(
  store: ScriptStore,
  keys: readonly string[],
  k: number,
  admittedAt: number,
  window: number,
  estimate: number,
  actual: number,
): void {
  const counts = keys[k] ?? ''
  const field = String(Math.floor(admittedAt / (window / bucketsPerWindow)))
  if (store.hget(counts, field) === null) return
  const tokens = keys[k + 1] ?? ''
  const totals = keys[k + 2] ?? ''
  if (actual < 0) {
    store.hincrBy(counts, field, -1)
    hadd(store, tokens, field, -estimate)
    store.hincrBy(totals, 'requests', -1)
    hadd(store, totals, 'tokens', -estimate)
  } else {
    hadd(store, tokens, field, actual - estimate)
    hadd(store, totals, 'tokens', actual - estimate)
  }
}
