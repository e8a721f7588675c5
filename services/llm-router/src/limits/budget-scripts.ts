import type { ScriptStore } from '@switchyard/kit'

// Budgets in integer micro-dollars, per scope and period. Each scope has a ledger hash (`spent`:
// settled cost; `reserved`: the sum of the holds in flight), a sorted set of holds scored by when
// they expire, and a hash of each hold's amount. A request puts the same hold on every scope or on
// none; settle swaps a hold for the actual cost; release drops it. A hold whose router died is
// purged once it expires (by the next reservation on that scope), so it cannot keep money forever.
//
// Three keys per scope: ledger, holds, amounts. These are the budget parts of the scripts in
// admission-scripts.ts, each in Lua (Redis) and in JS (memory), kept side by side.
//
// A failure is reported as four numbers: scope index (1-based), spent, reserved, limit.

/** One budget a reservation did not fit in. */
export interface BudgetFailure {
  /** Index into the scopes passed, 0-based. */
  scope: number
  spent: number
  reserved: number
  limit: number
}

export function parseBudgetFailures(flat: readonly number[]): BudgetFailure[] {
  const failures: BudgetFailure[] = []
  for (let i = 0; i + 3 < flat.length; i += 4) {
    const [scope = 1, spent = 0, reserved = 0, limit = 0] = flat.slice(i, i + 4)
    failures.push({ scope: scope - 1, spent, reserved, limit })
  }
  return failures
}

// Lua turns -0 into the string "-0", which HINCRBY refuses: adding zero is skipped instead.
export const luaBudget = `
local function hadd(key, field, n)
  if n ~= 0 then redis.call('HINCRBY', key, field, n) end
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
-- The hold is dropped wherever it still is; the actual cost (-1: a release, nothing spent) is added
-- to spent even where the hold had already expired, because the money was spent all the same.
local function budget_finish(ledger, holds, amounts, id, actual, ttl)
  local amount = redis.call('HGET', amounts, id)
  if amount then
    redis.call('HDEL', amounts, id)
    redis.call('ZREM', holds, id)
    hadd(ledger, 'reserved', -tonumber(amount))
  end
  if actual > 0 then
    redis.call('HINCRBY', ledger, 'spent', actual)
    -- A ledger that expired meanwhile (a settle long after its period) must not live forever.
    if redis.call('PTTL', ledger) < 0 then redis.call('PEXPIRE', ledger, ttl) end
  end
end
`

function hadd(store: ScriptStore, key: string, field: string, n: number): void {
  if (n !== 0) store.hincrBy(key, field, n)
}

// As the rate parts: the script's KEYS and the index of the scope's first key (ledger, then holds
// and amounts).

function budgetPurge(store: ScriptStore, keys: readonly string[], k: number, now: number): void {
  const holds = keys[k + 1] ?? ''
  const expired = store.zrangeByScore(holds, Number.NEGATIVE_INFINITY, now)
  if (expired.length === 0) return
  const amounts = keys[k + 2] ?? ''
  let freed = 0
  for (const { member } of expired) {
    freed += store.hgetNumber(amounts, member) ?? 0
    store.hdel(amounts, member)
  }
  store.zremRangeByScore(holds, Number.NEGATIVE_INFINITY, now)
  hadd(store, keys[k] ?? '', 'reserved', -freed)
}

export function budgetCheck(
  store: ScriptStore,
  keys: readonly string[],
  k: number,
  failures: number[],
  i: number,
  now: number,
  cost: number,
  limit: number,
): void {
  const ledger = keys[k] ?? ''
  budgetPurge(store, keys, k, now)
  const spent = store.hgetNumber(ledger, 'spent') ?? 0
  const reserved = store.hgetNumber(ledger, 'reserved') ?? 0
  if (spent + reserved + cost > limit) failures.push(i, spent, reserved, limit)
}

export function budgetHold(
  store: ScriptStore,
  keys: readonly string[],
  k: number,
  now: number,
  id: string,
  cost: number,
  holdTtl: number,
  ttl: number,
): void {
  const ledger = keys[k] ?? ''
  const holds = keys[k + 1] ?? ''
  const amounts = keys[k + 2] ?? ''
  hadd(store, ledger, 'reserved', cost)
  store.zadd(holds, now + holdTtl, id)
  store.hset(amounts, id, String(cost))
  store.pexpire(ledger, ttl)
  store.pexpire(holds, ttl)
  store.pexpire(amounts, ttl)
}

export function budgetFinish(
  store: ScriptStore,
  keys: readonly string[],
  k: number,
  id: string,
  actual: number,
  ttl: number,
): void {
  const ledger = keys[k] ?? ''
  const amounts = keys[k + 2] ?? ''
  const amount = store.hgetNumber(amounts, id)
  if (amount !== null) {
    store.hdel(amounts, id)
    store.zrem(keys[k + 1] ?? '', id)
    hadd(store, ledger, 'reserved', -amount)
  }
  if (actual > 0) {
    store.hincrBy(ledger, 'spent', actual)
    if (store.pttl(ledger) < 0) store.pexpire(ledger, ttl)
  }
}
