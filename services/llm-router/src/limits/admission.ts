import { randomBytes } from 'node:crypto'
import type { AdmitRequest, AdmitResult, BudgetFailure, LimitFailure, LimitsStore } from '@switchyard/state'
import type { Pricing } from '../catalog/schema.ts'
import type { Admission, AdmissionRequest, AdmissionTicket } from '../pipeline/admission.ts'
import {
  type BudgetScope,
  type CallerLimits,
  createCallerLimitsCache,
  type RateScope,
} from './caller-limits.ts'
import { buildLimits, type Limits, type Scope, usdToMicros } from './config.ts'
import { limitErrors } from './errors.ts'
import type { PeriodWindow } from './keys.ts'

/** "Per minute": the sliding window every rpm and tpm limit counts over. */
export const rateWindowMs = 60_000
/**
 * Retry-After when a budget is full only because of reservations in flight: they settle (usually
 * below their worst case) within seconds, so the caller should not wait for the period to end.
 */
export const inFlightRetryMs = 2_000
/** A budget ledger outlives its period by this much, for requests that settle after it ended. */
const ledgerGraceMs = 24 * 3_600_000

export interface CreateAdmissionOptions {
  /** The shared state's limits: Redis in production, memory in one process. */
  store: LimitsStore
  /** The limits section (see config.ts); validated here. */
  config: unknown
  /** Names the section in a LimitsConfigError, e.g. the config key it came from. */
  source?: string
  /** Milliseconds since the epoch; tests pass a fake clock. Replicas' clocks should agree (NTP). */
  now?: () => number
  /** Where failures to settle or release are reported (the request itself has been answered). */
  logger?: { warn(obj: object, msg: string): void }
}

export interface LimitsAdmission extends Admission {
  /** Swaps the limits section (admin.config.v1); throws LimitsConfigError and keeps the old one. */
  replaceConfig(config: unknown): void
  /** Resolves once every settle and release started so far has reached the state. */
  drain(): Promise<void>
}

const noTicket: AdmissionTicket = { release() {}, settle() {} }
/** The ledger ttls of a request without budgets: no array made per request. */
const noBudgets: readonly number[] = Object.freeze([])

// Reservation ids must not collide between the replicas sharing a store, nor across restarts: a
// random prefix per process (40 bits, always 7 characters) and a counter. That costs a counter
// rather than a UUID per request, and the id is short: every scope keeps it in a sorted set and a hash.
const reservationPrefix = randomBytes(5).toString('base64url')
let reservationCount = 0
const nextReservationId = () => reservationPrefix + (reservationCount++).toString(36)

/** Worst-case cost in micro-dollars: prices per million tokens are micro-dollars per token. */
export function worstCaseMicros(pricing: Pricing, promptTokens: number, completionTokens: number): number {
  const micros = promptTokens * pricing.inputPerMillion + completionTokens * pricing.outputPerMillion
  // Round away float noise (0.15 * 1000 = 150.00000000000003) before rounding up.
  return Math.ceil(Math.round(micros * 1000) / 1000)
}

/** Settling may come after the period ended: it goes to the period the request was admitted in. */
const ledgerTtl = (period: PeriodWindow, now: number) => Math.max(period.endsAt - now, 0) + ledgerGraceMs
const ledgerTtls = (budgetScopes: readonly BudgetScope[], now: number): readonly number[] =>
  budgetScopes.length === 0 ? noBudgets : budgetScopes.map((s) => ledgerTtl(s.period, now))

type EndReservation = (reservation: Reservation, tokensUsed: number, spentMicros: number) => void

/** An admitted request's counts and holds: its ticket, which ends once (later calls are ignored). */
class Reservation implements AdmissionTicket {
  /** What was admitted: the store counted it there, at its `now`. */
  readonly admitted: AdmitRequest
  readonly budgetScopes: readonly BudgetScope[]
  readonly #end: EndReservation
  #open = true

  constructor(admitted: AdmitRequest, budgetScopes: readonly BudgetScope[], end: EndReservation) {
    this.admitted = admitted
    this.budgetScopes = budgetScopes
    this.#end = end
  }

  /** Nothing was consumed: the request still counts as a request, its tokens and money do not. */
  release(): void {
    if (!this.#open) return
    this.#open = false
    this.#end(this, 0, -1)
  }

  settle(actualCostUsd: number, actualTokens: { input: number; output: number }): void {
    if (!this.#open) return
    this.#open = false
    this.#end(this, actualTokens.input + actualTokens.output, Math.max(0, usdToMicros(actualCostUsd)))
  }
}

/**
 * Rate limits (rpm, tpm) and budgets for key, user and org, as the router's admission hook.
 * `admit` asks the LimitsStore once: it checks every limit and budget and counts and holds only if
 * all pass; the ticket's settle or release asks it once more after the response. A request no
 * limit or budget applies to touches no state.
 */
export function createAdmission(options: CreateAdmissionOptions): LimitsAdmission {
  const { store } = options
  const now = options.now ?? Date.now
  const logger = options.logger ?? {
    warn: (obj: object, msg: string) => process.emitWarning(`${msg}: ${JSON.stringify(obj)}`),
  }
  let callers = createCallerLimitsCache(buildLimits(options.config, options.source))
  let inFlight = 0
  let drained: PromiseWithResolvers<void> | null = null

  const track = async (what: string, id: string, work: Promise<unknown>) => {
    inFlight++
    try {
      await work
    } catch (err) {
      logger.warn({ err, reservation: id }, `limits: ${what} failed`)
    } finally {
      if (--inFlight === 0 && drained !== null) {
        drained.resolve()
        drained = null
      }
    }
  }

  const end: EndReservation = ({ admitted, budgetScopes }, actualTokens, spentMicros) => {
    const at = now()
    const what = spentMicros < 0 ? 'releasing the reservation' : 'settling the reservation'
    try {
      const finishing = store.finish({
        now: at,
        reservationId: admitted.reservationId,
        admittedAt: admitted.now,
        estimatedTokens: admitted.tokens,
        actualTokens,
        spentMicros,
        windowMs: rateWindowMs,
        rates: admitted.rates,
        budgets: admitted.budgets,
        ledgerTtlMs: ledgerTtls(budgetScopes, at),
      })
      // In memory the store answers at once: no promise to track.
      if (finishing instanceof Promise) void track(what, admitted.reservationId, finishing)
    } catch (err) {
      logger.warn({ err, reservation: admitted.reservationId }, `limits: ${what} failed`)
    }
  }

  // Synchronous when nothing applies, so an unlimited request costs no promise and no round trip.
  function admit(request: AdmissionRequest): AdmissionTicket | Promise<AdmissionTicket> {
    const { limits } = callers
    const at = now()
    const caller = callers.get(request.identity, at)
    if (caller.rateScopes.length === 0 && caller.budgetScopes.length === 0) return noTicket
    return admitCounted(request, limits, caller, at)
  }

  function admitCounted(
    request: AdmissionRequest,
    limits: Limits,
    caller: CallerLimits,
    at: number,
  ): AdmissionTicket | Promise<AdmissionTicket> {
    const completion =
      request.operation === 'chat'
        ? (request.maxTokens ?? limits.unboundedMaxTokens) * (request.choices ?? 1)
        : (request.maxTokens ?? 0)
    const tokens = request.promptTokens + completion
    const cost = worstCaseMicros(request.pricing, request.promptTokens, completion)
    const { rateScopes, budgetScopes } = caller
    const admitting: AdmitRequest = {
      now: at,
      windowMs: rateWindowMs,
      reservationId: nextReservationId(),
      tokens,
      costMicros: cost,
      holdTtlMs: limits.reservationTtlMs,
      rates: rateScopes,
      budgets: budgetScopes,
      ledgerTtlMs: ledgerTtls(budgetScopes, at),
    }
    const decide = (result: AdmitResult): AdmissionTicket => {
      if (!result.admitted) {
        throw 'rate' in result
          ? rateLimitError(result.rate, rateScopes, tokens)
          : budgetError(result.budget, budgetScopes, cost, at)
      }
      return new Reservation(admitting, budgetScopes, end)
    }
    // In memory the store answers at once, and an admitted request gets its ticket without a
    // promise; a refusal is still a rejected promise, never a throw from admit().
    try {
      const result = store.admit(admitting)
      return result instanceof Promise ? result.then(decide) : decide(result)
    } catch (error) {
      return Promise.reject(error)
    }
  }

  return {
    admit,
    replaceConfig(config) {
      callers = createCallerLimitsCache(buildLimits(config, 'replaceConfig'))
    },
    drain() {
      if (inFlight === 0) return Promise.resolve()
      drained ??= Promise.withResolvers()
      return drained.promise
    },
  }
}

const describeScope = (scope: Scope, id: string) => `${scope} ${id}`
const seconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000))

/** The failure that binds: one no wait can fix, else the one that takes longest to clear. */
function binding<T extends { retryAfterMs: number | null }>(failures: T[]): T {
  const [first, ...rest] = failures
  if (first === undefined) throw new Error('no failure to report')
  return rest.reduce((a, b) => {
    if (a.retryAfterMs === null) return a
    if (b.retryAfterMs === null) return b
    return b.retryAfterMs > a.retryAfterMs ? b : a
  }, first)
}

function withRetryAfter<E extends Error & { headers?: Record<string, string> }>(
  error: E,
  ms: number | null,
): E {
  if (ms !== null) error.headers = { 'retry-after': String(seconds(ms)) }
  return error
}

function rateLimitError(failures: LimitFailure[], rateScopes: readonly RateScope[], tokens: number): Error {
  const f = binding(failures)
  const where = rateScopes[f.scope]
  const who = where === undefined ? 'unknown scope' : describeScope(where.scope, where.id)
  let message: string
  if (f.kind === 'rpm') {
    message = `Rate limit reached for ${who}: ${f.limit} requests per minute. Retry in ${seconds(f.retryAfterMs ?? 0)}s.`
  } else if (f.retryAfterMs === null) {
    message =
      `Request too large for ${who}: it may use up to ${tokens} tokens (prompt + max_tokens), more than the ` +
      `limit of ${f.limit} tokens per minute. Lower max_tokens or shorten the prompt.`
  } else {
    message =
      `Token rate limit reached for ${who}: ${f.limit} tokens per minute, ${f.inUse} used in the last minute, ` +
      `this request may use up to ${tokens}. Retry in ${seconds(f.retryAfterMs)}s.`
  }
  return withRetryAfter(new limitErrors.RateLimited(message), f.retryAfterMs)
}

/** Dollars for a message: cents, or more digits when cents would show a small amount as zero. */
export function formatUsd(micros: number): string {
  const usd = micros / 1_000_000
  const text = usd.toFixed(6).replace(/0+$/, '')
  const [whole, fraction = ''] = text.split('.')
  return `$${whole}.${fraction.padEnd(2, '0')}`
}

function budgetError(
  failures: BudgetFailure[],
  budgetScopes: readonly BudgetScope[],
  cost: number,
  at: number,
): Error {
  const explained = failures.map((f) => {
    const where = budgetScopes[f.scope]
    const endsIn = where === undefined ? 0 : where.period.endsAt - at
    const retryAfterMs =
      cost > f.limit ? null : f.spent + cost > f.limit ? endsIn : Math.min(inFlightRetryMs, endsIn)
    return { ...f, where, retryAfterMs }
  })
  const f = binding(explained)
  const who = f.where === undefined ? 'unknown scope' : describeScope(f.where.scope, f.where.id)
  const per = f.where?.budget.period ?? 'period'
  const head = `Budget exceeded for ${who}: ${formatUsd(f.limit)} per ${per}`
  let message: string
  if (f.retryAfterMs === null) {
    message = `${head}, and this request may cost up to ${formatUsd(cost)} on its own. Lower max_tokens or shorten the prompt.`
  } else if (f.spent + cost > f.limit) {
    const resets = new Date(at + f.retryAfterMs).toISOString()
    message = `${head}, ${formatUsd(f.spent)} spent; this request may cost up to ${formatUsd(cost)}. The budget resets at ${resets}.`
  } else {
    message =
      `${head}, ${formatUsd(f.spent)} spent and ${formatUsd(f.reserved)} reserved by requests in flight; ` +
      `this request may cost up to ${formatUsd(cost)}. Retry in ${seconds(f.retryAfterMs)}s.`
  }
  return withRetryAfter(new limitErrors.BudgetExceeded(message), f.retryAfterMs)
}
