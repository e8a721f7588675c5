import type { Redis } from 'ioredis'
import { admitLua, finishLua } from './limits.lua.ts'
import {
  type AdmitResult,
  admitted,
  type BudgetFailure,
  type BudgetLimit,
  type LimitFailure,
  type LimitsStore,
  type RateLimit,
} from './limits-store.ts'

interface LimitsCommands {
  switchyardLimitsAdmit(keyCount: number, ...keysAndArgs: (string | number)[]): Promise<number[]>
  switchyardLimitsFinish(keyCount: number, ...keysAndArgs: (string | number)[]): Promise<number>
}

const keysOf = (prefix: string, rates: readonly RateLimit[], budgets: readonly BudgetLimit[]): string[] => {
  const keys: string[] = []
  for (const { key } of rates)
    keys.push(`${prefix}${key}:counts`, `${prefix}${key}:tokens`, `${prefix}${key}:totals`)
  for (const { key } of budgets)
    keys.push(`${prefix}${key}:ledger`, `${prefix}${key}:holds`, `${prefix}${key}:amounts`)
  return keys
}

function parseAdmit(reply: number[] | null): AdmitResult {
  const reported = reply ?? []
  if (reported.length === 0) return admitted
  if (reported[0] === 1) {
    const rate: LimitFailure[] = []
    for (let i = 1; i + 4 < reported.length; i += 5) {
      const [scope = 1, kind, retry = -1, limit = 0, inUse = 0] = reported.slice(i, i + 5)
      rate.push({
        scope: scope - 1,
        kind: kind === 1 ? 'rpm' : 'tpm',
        retryAfterMs: retry < 0 ? null : retry,
        limit,
        inUse,
      })
    }
    return { admitted: false, rate }
  }
  const budget: BudgetFailure[] = []
  for (let i = 1; i + 3 < reported.length; i += 4) {
    const [scope = 1, spent = 0, reserved = 0, limit = 0] = reported.slice(i, i + 4)
    budget.push({ scope: scope - 1, spent, reserved, limit })
  }
  return { admitted: false, budget }
}

/**
 * LimitsStore on Redis: each call one script (EVALSHA; ioredis sends the text again after a
 * NOSCRIPT), atomic on the server. `prefix` goes before every key.
 */
export function createRedisLimitsStore(redis: Redis, prefix: string): LimitsStore {
  redis.defineCommand('switchyardLimitsAdmit', { lua: admitLua })
  redis.defineCommand('switchyardLimitsFinish', { lua: finishLua })
  const commands = redis as Redis & LimitsCommands
  return {
    async admit(request) {
      const keys = keysOf(prefix, request.rates, request.budgets)
      const args: (string | number)[] = [
        request.now,
        request.windowMs,
        request.reservationId,
        request.tokens,
        request.rates.length,
        request.costMicros,
        request.holdTtlMs,
      ]
      for (const { rpm, tpm } of request.rates) args.push(rpm, tpm)
      request.budgets.forEach(({ limitMicros }, j) => {
        args.push(limitMicros, request.ledgerTtlMs[j] ?? 0)
      })
      return parseAdmit(await commands.switchyardLimitsAdmit(keys.length, ...keys, ...args))
    },
    async finish(request) {
      const keys = keysOf(prefix, request.rates, request.budgets)
      const args: (string | number)[] = [
        request.reservationId,
        request.actualTokens - request.estimatedTokens,
        request.rates.length,
        request.spentMicros,
        request.admittedAt,
        request.windowMs,
        ...request.ledgerTtlMs,
      ]
      await commands.switchyardLimitsFinish(keys.length, ...keys, ...args)
    },
    async secondsHeld(rateKey) {
      return redis.hlen(`${prefix}${rateKey}:counts`)
    },
  }
}
