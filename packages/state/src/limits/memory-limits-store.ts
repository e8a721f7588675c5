import {
  type AdmitRequest,
  type AdmitResult,
  admitted,
  type BudgetFailure,
  type BudgetLimit,
  type FinishRequest,
  type LimitFailure,
  type LimitsStore,
  secondsPerWindow,
} from './limits-store.ts'

/** One scope's sliding log: what each second of the window admitted, and the sums. */
class RateLog {
  /** By second (ms / second length, floored): requests and tokens admitted in it. */
  readonly seconds = new Map<number, { requests: number; tokens: number }>()
  requests = 0
  tokens = 0
  /** The oldest second held; -1 when none is. */
  oldest = -1
  /** Past this (ms) every second held has left the window: the log is dropped. */
  expiresAt = 0
}

/** One scope's budget in one period. */
class Ledger {
  spent = 0
  reserved = 0
  readonly holds = new Map<string, { micros: number; expiresAt: number }>()
  /** The earliest a hold expires: until then there is nothing to purge. */
  nextHoldExpiry = Number.POSITIVE_INFINITY
  expiresAt = 0
}

/** The entry at `key` unless its lifetime has passed (then it is dropped). */
function live<T extends { expiresAt: number }>(map: Map<string, T>, key: string, now: number): T | undefined {
  const entry = map.get(key)
  if (entry === undefined || entry.expiresAt > now) return entry
  map.delete(key)
  return undefined
}

/** How often (ms, by the callers' clock) logs and ledgers past their lifetime are dropped. */
const sweepEveryMs = 30_000

/**
 * LimitsStore in one process's memory: plain maps, answered at once (no promise), atomic because
 * nothing else runs while a call does. Logs and ledgers expire by the callers' clock, as their
 * Redis keys expire by the server's.
 */
export function createMemoryLimitsStore(): LimitsStore {
  const logs = new Map<string, RateLog>()
  const ledgers = new Map<string, Ledger>()
  let nextSweepAt = Number.NEGATIVE_INFINITY

  const sweep = (now: number) => {
    if (now < nextSweepAt) return
    nextSweepAt = now + sweepEveryMs
    for (const [key, log] of logs) if (log.expiresAt <= now) logs.delete(key)
    for (const [key, ledger] of ledgers) if (ledger.expiresAt <= now) ledgers.delete(key)
  }
  const liveLog = (key: string, now: number) => live(logs, key, now)
  const liveLedger = (key: string, now: number) => live(ledgers, key, now)

  /** Drops the seconds up to `cutoff`; a log left empty goes altogether. */
  const evict = (key: string, log: RateLog, cutoff: number) => {
    if (log.oldest < 0 || log.oldest > cutoff) return
    // Everything held left long ago (an idle scope): drop it without walking each second.
    if (cutoff - log.oldest > 2 * secondsPerWindow) {
      logs.delete(key)
      return
    }
    for (let s = log.oldest; s <= cutoff; s++) {
      const second = log.seconds.get(s)
      if (second === undefined) continue
      log.requests -= second.requests
      log.tokens -= second.tokens
      log.seconds.delete(s)
    }
    if (log.requests <= 0) logs.delete(key)
    else log.oldest = cutoff + 1
  }

  /** The wait until enough of the oldest seconds' requests or tokens have left. */
  const wait = (log: RateLog, field: 'requests' | 'tokens', need: number, now: number, windowMs: number) => {
    const length = windowMs / secondsPerWindow
    let freed = 0
    for (let s = log.oldest; s <= log.oldest + 2 * secondsPerWindow; s++) {
      freed += log.seconds.get(s)?.[field] ?? 0
      // At most a window: a second counted by a clock running ahead is still in the future.
      if (freed >= need) return Math.min(s * length + windowMs - now, windowMs)
    }
    return windowMs
  }

  const purge = (ledger: Ledger, now: number) => {
    if (now < ledger.nextHoldExpiry) return
    let next = Number.POSITIVE_INFINITY
    for (const [id, hold] of ledger.holds) {
      if (hold.expiresAt <= now) {
        ledger.reserved -= hold.micros
        ledger.holds.delete(id)
      } else if (hold.expiresAt < next) next = hold.expiresAt
    }
    ledger.nextHoldExpiry = next
  }

  /** Every rate limit the request does not fit in, after evicting the seconds that left. */
  function checkRates(request: AdmitRequest): LimitFailure[] {
    const { now, windowMs, tokens, rates } = request
    const cutoff = Math.floor((now - windowMs) / (windowMs / secondsPerWindow))
    const failures: LimitFailure[] = []
    for (let i = 0; i < rates.length; i++) {
      const { key, rpm, tpm } = rates[i] as (typeof rates)[number]
      const held = liveLog(key, now)
      if (held !== undefined) evict(key, held, cutoff)
      const log = logs.get(key)
      const count = log?.requests ?? 0
      if (rpm >= 0 && count + 1 > rpm) {
        const retryAfterMs =
          log === undefined ? windowMs : wait(log, 'requests', count - rpm + 1, now, windowMs)
        failures.push({ scope: i, kind: 'rpm', retryAfterMs, limit: rpm, inUse: count })
      }
      const inUse = log?.tokens ?? 0
      if (tpm >= 0 && inUse + tokens > tpm) {
        // More than the limit on its own never fits.
        let retryAfterMs: number | null = null
        if (tokens <= tpm)
          retryAfterMs =
            log === undefined ? windowMs : wait(log, 'tokens', inUse + tokens - tpm, now, windowMs)
        failures.push({ scope: i, kind: 'tpm', retryAfterMs, limit: tpm, inUse })
      }
    }
    return failures
  }

  /** Every budget the request's cost does not fit in, after purging the expired holds. */
  function checkBudgets(request: AdmitRequest): BudgetFailure[] {
    const failures: BudgetFailure[] = []
    for (let j = 0; j < request.budgets.length; j++) {
      const { key, limitMicros } = request.budgets[j] as BudgetLimit
      const ledger = liveLedger(key, request.now)
      if (ledger !== undefined) purge(ledger, request.now)
      const spent = ledger?.spent ?? 0
      const reserved = ledger?.reserved ?? 0
      if (spent + reserved + request.costMicros > limitMicros)
        failures.push({ scope: j, spent, reserved, limit: limitMicros })
    }
    return failures
  }

  /** Counts the request in every rate log and holds its cost in every budget. */
  function take(request: AdmitRequest): void {
    const { now, windowMs, tokens } = request
    const length = windowMs / secondsPerWindow
    const second = Math.floor(now / length)
    for (const { key } of request.rates) {
      let log = logs.get(key)
      if (log === undefined) {
        log = new RateLog()
        logs.set(key, log)
      }
      const counted = log.seconds.get(second)
      if (counted === undefined) log.seconds.set(second, { requests: 1, tokens })
      else {
        counted.requests++
        counted.tokens += tokens
      }
      log.requests++
      log.tokens += tokens
      // Lower than the oldest only when the clock went back: eviction must still find it.
      if (log.oldest < 0 || second < log.oldest) log.oldest = second
      // Every second held is younger than a window and a second: the log can go that long after the newest.
      log.expiresAt = now + windowMs + length
    }
    const holdExpiresAt = now + request.holdTtlMs
    for (let j = 0; j < request.budgets.length; j++) {
      const { key } = request.budgets[j] as BudgetLimit
      let ledger = ledgers.get(key)
      if (ledger === undefined) {
        ledger = new Ledger()
        ledgers.set(key, ledger)
      }
      ledger.reserved += request.costMicros
      ledger.holds.set(request.reservationId, { micros: request.costMicros, expiresAt: holdExpiresAt })
      if (holdExpiresAt < ledger.nextHoldExpiry) ledger.nextHoldExpiry = holdExpiresAt
      ledger.expiresAt = now + (request.ledgerTtlMs[j] ?? 0)
    }
  }

  function admit(request: AdmitRequest): AdmitResult {
    sweep(request.now)
    const rate = checkRates(request)
    if (rate.length > 0) return { admitted: false, rate }
    const budget = checkBudgets(request)
    if (budget.length > 0) return { admitted: false, budget }
    take(request)
    return admitted
  }

  function finish(request: FinishRequest): void {
    const { now, windowMs, rates, budgets } = request
    const second = Math.floor(request.admittedAt / (windowMs / secondsPerWindow))
    const correction = request.actualTokens - request.estimatedTokens
    for (const { key } of rates) {
      // A request whose second already left the window is not touched.
      const counted = liveLog(key, now)?.seconds.get(second)
      if (counted === undefined) continue
      counted.tokens += correction
      ;(logs.get(key) as RateLog).tokens += correction
    }
    for (let j = 0; j < budgets.length; j++) {
      const { key } = budgets[j] as BudgetLimit
      let ledger = liveLedger(key, now)
      const hold = ledger?.holds.get(request.reservationId)
      if (ledger !== undefined && hold !== undefined) {
        ledger.holds.delete(request.reservationId)
        ledger.reserved -= hold.micros
      }
      // Spent even where the hold had already expired: the money was spent all the same.
      if (request.spentMicros > 0) {
        if (ledger === undefined) {
          // The ledger expired meanwhile (a settle long after its period): it must not live forever.
          ledger = new Ledger()
          ledger.expiresAt = now + (request.ledgerTtlMs[j] ?? 0)
          ledgers.set(key, ledger)
        }
        ledger.spent += request.spentMicros
      }
    }
  }

  return {
    admit,
    finish,
    async secondsHeld(rateKey) {
      return logs.get(rateKey)?.seconds.size ?? 0
    },
  }
}
