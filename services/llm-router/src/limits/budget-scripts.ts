import { defineAtomicScript, type ScriptStore } from '@switchyard/kit'

// Budgets in integer micro-dollars, per scope and period. Each scope has a ledger hash (`spent`:
// settled cost; `reserved`: the sum of the holds in flight), a sorted set of holds scored by when
// they expire, and a hash of each hold's amount. Reserve puts the same hold on every scope or on
// none; settle swaps a hold for the actual cost; release drops it. A hold whose router died is
// purged once it expires (by the next reserve on that scope), so it cannot keep money forever.
//
// KEYS: three per scope, in order: ledger, holds, amounts.

/** One budget a reservation did not fit in. */
export interface BudgetFailure {
  /** Index into the scopes passed, 0-based. */
  scope: number
  spent: number
  reserved: number
  limit: number
}

// Lua turns -0 into the string "-0", which HINCRBY refuses: adding zero is skipped instead.
const luaHadd = `
local function hadd(key, field, n)
  if n ~= 0 then redis.call('HINCRBY', key, field, n) end
end
`

const luaPurge = `${luaHadd}
local function purge(ledger, holds, amounts, now)
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
`

function purge(store: ScriptStore, ledger: string, holds: string, amounts: string, now: number): void {
  const expired = store.zrangeByScore(holds, Number.NEGATIVE_INFINITY, now)
  if (expired.length === 0) return
  let freed = 0
  for (const { member } of expired) {
    freed += Number(store.hget(amounts, member) ?? '0')
    store.hdel(amounts, member)
  }
  store.zremRangeByScore(holds, Number.NEGATIVE_INFINITY, now)
  hadd(store, ledger, 'reserved', -freed)
}

function hadd(store: ScriptStore, key: string, field: string, n: number): void {
  if (n !== 0) store.hincrBy(key, field, n)
}

const scopeKeys = (keys: readonly string[], i: number): [string, string, string] => [
  keys[3 * i] ?? '',
  keys[3 * i + 1] ?? '',
  keys[3 * i + 2] ?? '',
]

// ARGV: now (ms), hold id, cost, hold ttl (ms), then per scope: limit, ledger ttl (ms).
// Reply: {} when reserved; otherwise per failed scope: index (1-based), spent, reserved, limit.
export const reserveBudgetScript = defineAtomicScript({
  name: 'llm-router.budgets.reserve',
  lua: `${luaPurge}
local now, id, cost, holdTtl = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
local scopes = #KEYS / 3
local failures = {}
for i = 1, scopes do
  local ledger, holds, amounts = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  local limit = tonumber(ARGV[3 + 2 * i])
  purge(ledger, holds, amounts, now)
  local spent = tonumber(redis.call('HGET', ledger, 'spent') or '0')
  local reserved = tonumber(redis.call('HGET', ledger, 'reserved') or '0')
  if spent + reserved + cost > limit then
    for _, v in ipairs({ i, spent, reserved, limit }) do failures[#failures + 1] = v end
  end
end
if #failures > 0 then return failures end
for i = 1, scopes do
  local ledger, holds, amounts = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  local ttl = tonumber(ARGV[4 + 2 * i])
  hadd(ledger, 'reserved', cost)
  redis.call('ZADD', holds, now + holdTtl, id)
  redis.call('HSET', amounts, id, cost)
  redis.call('PEXPIRE', ledger, ttl)
  redis.call('PEXPIRE', holds, ttl)
  redis.call('PEXPIRE', amounts, ttl)
end
return failures
`,
  memory: (store, keys, [nowArg = '0', id = '', costArg = '0', holdTtlArg = '0', ...perScope]) => {
    const now = Number(nowArg)
    const cost = Number(costArg)
    const scopes = keys.length / 3
    const failures: number[] = []
    for (let i = 0; i < scopes; i++) {
      const [ledger, holds, amounts] = scopeKeys(keys, i)
      const limit = Number(perScope[2 * i])
      purge(store, ledger, holds, amounts, now)
      const spent = Number(store.hget(ledger, 'spent') ?? '0')
      const reserved = Number(store.hget(ledger, 'reserved') ?? '0')
      if (spent + reserved + cost > limit) failures.push(i + 1, spent, reserved, limit)
    }
    if (failures.length > 0) return failures
    for (let i = 0; i < scopes; i++) {
      const [ledger, holds, amounts] = scopeKeys(keys, i)
      const ttl = Number(perScope[2 * i + 1])
      hadd(store, ledger, 'reserved', cost)
      store.zadd(holds, now + Number(holdTtlArg), id)
      store.hset(amounts, id, String(cost))
      store.pexpire(ledger, ttl)
      store.pexpire(holds, ttl)
      store.pexpire(amounts, ttl)
    }
    return failures
  },
  parse: (reply) => {
    const flat = reply as number[]
    const failures: BudgetFailure[] = []
    for (let i = 0; i + 3 < flat.length; i += 4) {
      const [scope = 1, spent = 0, reserved = 0, limit = 0] = flat.slice(i, i + 4)
      failures.push({ scope: scope - 1, spent, reserved, limit })
    }
    return failures
  },
})

// ARGV: hold id, actual cost (-1: release, nothing was spent), then per scope: ledger ttl (ms).
// The hold is dropped wherever it still is; the actual cost is added to `spent` even where the hold
// had already expired, because the money was spent all the same. Reply: how many scopes still
// held it.
export const finishBudgetScript = defineAtomicScript({
  name: 'llm-router.budgets.finish',
  lua: `${luaHadd}
local id, actual = ARGV[1], tonumber(ARGV[2])
local found = 0
for i = 1, #KEYS / 3 do
  local ledger, holds, amounts = KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i]
  local amount = redis.call('HGET', amounts, id)
  if amount then
    found = found + 1
    redis.call('HDEL', amounts, id)
    redis.call('ZREM', holds, id)
    hadd(ledger, 'reserved', -tonumber(amount))
  end
  if actual > 0 then
    redis.call('HINCRBY', ledger, 'spent', actual)
    -- A ledger that expired meanwhile (a settle long after its period) must not live forever.
    if redis.call('PTTL', ledger) < 0 then redis.call('PEXPIRE', ledger, ARGV[2 + i]) end
  end
end
return found
`,
  memory: (store, keys, [id = '', actualArg = '0', ...ttls]) => {
    const actual = Number(actualArg)
    let found = 0
    for (let i = 0; i < keys.length / 3; i++) {
      const [ledger, holds, amounts] = scopeKeys(keys, i)
      const amount = store.hget(amounts, id)
      if (amount !== null) {
        found++
        store.hdel(amounts, id)
        store.zrem(holds, id)
        hadd(store, ledger, 'reserved', -Number(amount))
      }
      if (actual > 0) {
        store.hincrBy(ledger, 'spent', actual)
        if (store.pttl(ledger) < 0) store.pexpire(ledger, Number(ttls[i]))
      }
    }
    return found
  },
  parse: (reply) => Number(reply),
})
