// The Redis side of the LimitsStore: two scripts, one round trip each way. They follow
// memory-limits-store.ts step for step, in Redis's data types.
//
// KEYS (both): three per rate-limited scope (counts, tokens: hashes by second; totals: requests,
// tokens and the oldest second held), then three per budgeted scope (ledger: spent, reserved;
// holds: a sorted set of hold ids by expiry; amounts: a hash of each hold's micro-dollars).
//
// Lua numbers reach Redis commands formatted as "%.17g", so -0 arrives as "-0", which HINCRBY
// refuses: adding zero is skipped (hadd). Amounts are integers.

const functions = `
local function hadd(key, field, n)
  if n ~= 0 then redis.call('HINCRBY', key, field, n) end
end
local function rate_evict(counts, tokens, totals, cutoff, seconds)
  local oldest = tonumber(redis.call('HGET', totals, 'oldest') or '-1')
  if oldest < 0 or oldest > cutoff then return end
  if cutoff - oldest > 2 * seconds then
    redis.call('DEL', counts, tokens, totals)
    return
  end
  local requests = tonumber(redis.call('HGET', totals, 'requests') or '0')
  local used = tonumber(redis.call('HGET', totals, 'tokens') or '0')
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
local function rate_wait(hash, totals, need, now, window, length, seconds)
  local oldest = tonumber(redis.call('HGET', totals, 'oldest') or '-1')
  local freed = 0
  for b = oldest, oldest + 2 * seconds do
    freed = freed + tonumber(redis.call('HGET', hash, b) or '0')
    if freed >= need then return math.min(b * length + window - now, window) end
  end
  return window
end
local function rate_check(failures, i, counts, tokens, totals, rpm, tpm, now, window, asked)
  local seconds = 60
  local length = window / seconds
  rate_evict(counts, tokens, totals, math.floor((now - window) / length), seconds)
  local count = tonumber(redis.call('HGET', totals, 'requests') or '0')
  if rpm >= 0 and count + 1 > rpm then
    local retry = rate_wait(counts, totals, count - rpm + 1, now, window, length, seconds)
    for _, v in ipairs({ i, 1, retry, rpm, count }) do failures[#failures + 1] = v end
  end
  local inUse = tonumber(redis.call('HGET', totals, 'tokens') or '0')
  if tpm >= 0 and inUse + asked > tpm then
    local retry = -1
    if asked <= tpm then retry = rate_wait(tokens, totals, inUse + asked - tpm, now, window, length, seconds) end
    for _, v in ipairs({ i, 2, retry, tpm, inUse }) do failures[#failures + 1] = v end
  end
end
local function rate_add(counts, tokens, totals, now, window, asked)
  local b = math.floor(now / (window / 60))
  redis.call('HINCRBY', counts, b, 1)
  hadd(tokens, b, asked)
  redis.call('HINCRBY', totals, 'requests', 1)
  hadd(totals, 'tokens', asked)
  local oldest = tonumber(redis.call('HGET', totals, 'oldest') or '-1')
  if oldest < 0 or b < oldest then redis.call('HSET', totals, 'oldest', b) end
  local ttl = window + window / 60
  redis.call('PEXPIRE', counts, ttl)
  redis.call('PEXPIRE', tokens, ttl)
  redis.call('PEXPIRE', totals, ttl)
end
local function rate_correct(counts, tokens, totals, admittedAt, window, correction)
  local b = math.floor(admittedAt / (window / 60))
  if not redis.call('HGET', counts, b) then return end
  hadd(tokens, b, correction)
  hadd(totals, 'tokens', correction)
end
local function budget_purge(ledger, holds, amounts, now)
  local expired = redis.call('ZRANGEBYSCORE', holds, '-inf', now)
  if #expired == 0 then return end
  local freed = 0
  for _, id in ipairs(expired) do
    freed = freed + tonumber(redis.call('HGET', amounts, id) or '0')
    redis.call('HDEL', amounts, id)
  end
  redis.call('ZREMRANGEBYSCORE', holds, '-inf', now)
  hadd(ledger, 'reserved', -freed)
end
local function budget_check(failures, i, ledger, holds, amounts, now, cost, limit)
  budget_purge(ledger, holds, amounts, now)
  local spent = tonumber(redis.call('HGET', ledger, 'spent') or '0')
  local reserved = tonumber(redis.call('HGET', ledger, 'reserved') or '0')
  if spent + reserved + cost > limit then
    for _, v in ipairs({ i, spent, reserved, limit }) do failures[#failures + 1] = v end
  end
end
local function budget_hold(ledger, holds, amounts, now, id, cost, holdTtl, ttl)
  hadd(ledger, 'reserved', cost)
  redis.call('ZADD', holds, now + holdTtl, id)
  redis.call('HSET', amounts, id, cost)
  redis.call('PEXPIRE', ledger, ttl)
  redis.call('PEXPIRE', holds, ttl)
  redis.call('PEXPIRE', amounts, ttl)
end
local function budget_finish(ledger, holds, amounts, id, actual, ttl)
  local amount = redis.call('HGET', amounts, id)
  if amount then
    redis.call('HDEL', amounts, id)
    redis.call('ZREM', holds, id)
    hadd(ledger, 'reserved', -tonumber(amount))
  end
  if actual > 0 then
    redis.call('HINCRBY', ledger, 'spent', actual)
    if redis.call('PTTL', ledger) < 0 then redis.call('PEXPIRE', ledger, ttl) end
  end
end
`

/**
 * ARGV: now, window, id, tokens, rate scopes, cost, hold ttl, then per rate scope: rpm, tpm; then
 * per budget: limit, ledger ttl. Reply: {} when admitted; else {1, five numbers per failed rate
 * limit: scope (1-based), kind (1 rpm, 2 tpm), retry-after (-1: never), limit, in use} or
 * {2, four per failed budget: scope (1-based), spent, reserved, limit}.
 */
export const admitLua = `${functions}
local now, window, id, tokens = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
local rates, cost, holdTtl = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local budgets = #KEYS / 3 - rates
local base = 7 + 2 * rates
local failures = {}
for i = 1, rates do
  rate_check(failures, i, KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i],
    tonumber(ARGV[6 + 2 * i]), tonumber(ARGV[7 + 2 * i]), now, window, tokens)
end
if #failures > 0 then
  table.insert(failures, 1, 1)
  return failures
end
for j = 1, budgets do
  local k = 3 * (rates + j)
  budget_check(failures, j, KEYS[k - 2], KEYS[k - 1], KEYS[k], now, cost, tonumber(ARGV[base + 2 * j - 1]))
end
if #failures > 0 then
  table.insert(failures, 1, 2)
  return failures
end
for i = 1, rates do
  rate_add(KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i], now, window, tokens)
end
for j = 1, budgets do
  local k = 3 * (rates + j)
  budget_hold(KEYS[k - 2], KEYS[k - 1], KEYS[k], now, id, cost, holdTtl, tonumber(ARGV[base + 2 * j]))
end
return failures
`

/**
 * ARGV: id, token correction (actual - estimate), rate scopes, spent (-1: released), admitted at,
 * window, then per budget: ledger ttl.
 */
export const finishLua = `${functions}
local id, correction, rates, actual = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local admittedAt, window = tonumber(ARGV[5]), tonumber(ARGV[6])
for i = 1, rates do
  rate_correct(KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i], admittedAt, window, correction)
end
for j = 1, #KEYS / 3 - rates do
  local k = 3 * (rates + j)
  budget_finish(KEYS[k - 2], KEYS[k - 1], KEYS[k], id, actual, tonumber(ARGV[6 + j]))
end
return 0
`
