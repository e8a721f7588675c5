import { defineAtomicScript } from '@switchyard/kit'
import {
  type BudgetFailure,
  budgetCheck,
  budgetFinish,
  budgetHold,
  luaBudget,
  parseBudgetFailures,
} from './budget-scripts.ts'
import {
  type LimitFailure,
  luaRate,
  parseRateFailures,
  rateAdd,
  rateCheck,
  rateCorrect,
} from './rate-limit-scripts.ts'

// The two scripts a limited request runs: `admit` on the request path checks every rate limit and
// every budget and, only if all pass, counts the request and holds its worst-case cost everywhere;
// `finish`, after the response, puts the actual tokens and cost in place of the estimates (or
// releases them). One script each way is one Redis round trip each way, and nothing to undo when a
// budget refuses a request the rate limits had let through.
//
// KEYS (both): three per rate-limited scope (counts, tokens, totals), then three per budgeted scope
// (ledger, holds, amounts); ARGV says how many are rate scopes.

/** What admit answered: admitted, or the limits that refused (rates are checked first). */
export type AdmitResult =
  | { admitted: true }
  | { admitted: false; rate: LimitFailure[] }
  | { admitted: false; budget: BudgetFailure[] }

const admitted: AdmitResult = Object.freeze({ admitted: true })

// ARGV: now (ms), window (ms), id, tokens, rate scopes, worst-case cost (micro-dollars), hold ttl
// (ms), then per rate scope: rpm, tpm (-1: no limit); then per budget scope: limit, ledger ttl (ms).
// Reply: {} when admitted; else {1, rate failures...} or {2, budget failures...} (see the parts).
export const admitScript = defineAtomicScript({
  name: 'llm-router.limits.admit',
  lua: `${luaRate}${luaBudget}
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
`,
  memory: (store, keys, args) => {
    const now = args.number(0)
    const window = args.number(1)
    const id = args.string(2)
    const tokens = args.number(3)
    const rates = args.number(4)
    const cost = args.number(5)
    const holdTtl = args.number(6)
    const budgets = keys.length / 3 - rates
    const base = 7 + 2 * rates
    const failures: number[] = []
    for (let i = 0; i < rates; i++) {
      const rpm = args.number(7 + 2 * i)
      const tpm = args.number(8 + 2 * i)
      rateCheck(store, keys, 3 * i, failures, i + 1, rpm, tpm, now, window, tokens)
    }
    if (failures.length > 0) return [1, ...failures]
    for (let j = 0; j < budgets; j++)
      budgetCheck(store, keys, 3 * (rates + j), failures, j + 1, now, cost, args.number(base + 2 * j))
    if (failures.length > 0) return [2, ...failures]
    for (let i = 0; i < rates; i++) rateAdd(store, keys, 3 * i, now, window, tokens)
    for (let j = 0; j < budgets; j++)
      budgetHold(store, keys, 3 * (rates + j), now, id, cost, holdTtl, args.number(base + 2 * j + 1))
    return failures
  },
  parse: (reply): AdmitResult => {
    const reported = (reply ?? []) as number[]
    if (reported.length === 0) return admitted
    const flat = reported.slice(1)
    return reported[0] === 1
      ? { admitted: false, rate: parseRateFailures(flat) }
      : { admitted: false, budget: parseBudgetFailures(flat) }
  },
})

// ARGV: id, tokens (>= 0: the request's actual count; -1: remove it from the logs), rate scopes,
// actual cost (micro-dollars; -1: a release, nothing spent), when it was admitted (ms), the rate
// window (ms), the tokens it was admitted with, then per budget scope: ledger ttl (ms).
export const finishScript = defineAtomicScript({
  name: 'llm-router.limits.finish',
  lua: `${luaRate}${luaBudget}
local id, tokens, rates, actual = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local admittedAt, window, estimate = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
for i = 1, rates do
  rate_correct(KEYS[3 * i - 2], KEYS[3 * i - 1], KEYS[3 * i], admittedAt, window, estimate, tokens)
end
for j = 1, #KEYS / 3 - rates do
  local k = 3 * (rates + j)
  budget_finish(KEYS[k - 2], KEYS[k - 1], KEYS[k], id, actual, tonumber(ARGV[7 + j]))
end
return 0
`,
  memory: (store, keys, args) => {
    const id = args.string(0)
    const tokens = args.number(1)
    const rates = args.number(2)
    const actual = args.number(3)
    const admittedAt = args.number(4)
    const window = args.number(5)
    const estimate = args.number(6)
    for (let i = 0; i < rates; i++) rateCorrect(store, keys, 3 * i, admittedAt, window, estimate, tokens)
    for (let j = 0; j < keys.length / 3 - rates; j++)
      budgetFinish(store, keys, 3 * (rates + j), id, actual, args.number(7 + j))
    return 0
  },
  parse: () => undefined,
})
