/**
 * Rate limits and budget reservations, checked and taken together (the llm-router's admission).
 *
 * Rate limits: each rate-limited scope keeps a sliding log of the last window by the second (the
 * requests and tokens admitted in each second, and their sums). A request is admitted only if, in
 * every scope at once, fewer than `rpm` requests and at most `tpm - tokens` tokens were admitted in
 * the last window. A second's requests leave the window together when its start is a window old,
 * so the window slides a second at a time (no edge lets twice the limit through, as fixed windows
 * do) and a scope holds at most a window's seconds plus one, however busy it is.
 *
 * Budgets, in integer micro-dollars per scope and period: `spent` (settled cost) and holds in flight
 * (`reserved`, their sum). A request fits when `spent + reserved + cost <= limit` in every budgeted
 * scope; it then holds its worst-case cost in each until it finishes. A hold never finished (its
 * router died) expires after `holdTtlMs` and stops counting.
 *
 * `admit` checks every rate limit, then every budget, and writes only when all pass: a refused
 * request counts nowhere and nothing has to be undone. `finish` replaces the token estimate with
 * the actual count in the second the request was counted in, drops the hold and adds the actual
 * cost to `spent`. Both are atomic across replicas. The caller passes `now` (ms since the epoch):
 * replicas' clocks should agree.
 *
 * A memory store answers at once (a value, not a promise) so a request in one process costs no
 * promise; a remote one answers a promise. Callers handle both.
 */
export interface LimitsStore {
  admit(request: AdmitRequest): AdmitResult | Promise<AdmitResult>
  finish(request: FinishRequest): void | Promise<void>
  /** Seconds a scope's rate log holds: at most a window's plus one (for tests and operators). */
  secondsHeld(rateKey: string): Promise<number>
}

/** A rate-limited scope. */
export interface RateLimit {
  /**
   * Names the scope's log in the store. The keys of one request must share a Redis Cluster slot:
   * give them one hash tag (`rl:{o:acme}:key:k1`).
   */
  key: string
  /** Requests per window; -1: not limited. */
  rpm: number
  /** Tokens per window; -1: not limited. */
  tpm: number
}

/** A budgeted scope, in the period the request is admitted in. */
export interface BudgetLimit {
  /** Names the scope's ledger for this period in the store (same slot rule as RateLimit.key). */
  key: string
  /** Micro-dollars the period allows. */
  limitMicros: number
}

export interface AdmitRequest {
  /** Milliseconds since the epoch. */
  now: number
  /** The rate window in milliseconds; a second is a sixtieth of it. */
  windowMs: number
  /** Names the hold; unique among every replica's requests. */
  reservationId: string
  /** Tokens counted now: the request's worst case. */
  tokens: number
  /** Micro-dollars held now: the request's worst case. */
  costMicros: number
  /** A hold not finished by then stops counting. */
  holdTtlMs: number
  rates: readonly RateLimit[]
  budgets: readonly BudgetLimit[]
  /** Per budget, milliseconds its ledger must outlive this call (past its period's end). */
  ledgerTtlMs: readonly number[]
}

export interface FinishRequest {
  /** Milliseconds since the epoch. */
  now: number
  reservationId: string
  /** When the request was admitted and with how many tokens: the logs counted it there. */
  admittedAt: number
  estimatedTokens: number
  /** The tokens it actually used, in place of the estimate; 0 for a request that used none. */
  actualTokens: number
  /** Micro-dollars actually spent; -1: released, nothing spent (the hold is dropped all the same). */
  spentMicros: number
  windowMs: number
  rates: readonly RateLimit[]
  budgets: readonly BudgetLimit[]
  ledgerTtlMs: readonly number[]
}

/** What admit answered: admitted, or the limits that refused (rates are checked first). */
export type AdmitResult =
  | { admitted: true }
  | { admitted: false; rate: LimitFailure[] }
  | { admitted: false; budget: BudgetFailure[] }

/** One rate limit a request did not fit in. */
export interface LimitFailure {
  /** Index into `rates`. */
  scope: number
  kind: 'rpm' | 'tpm'
  /** Milliseconds until the request would fit; null when it never can (tokens over the limit). */
  retryAfterMs: number | null
  limit: number
  /** Requests or tokens counted in the window when it was checked. */
  inUse: number
}

/** One budget a request did not fit in. */
export interface BudgetFailure {
  /** Index into `budgets`. */
  scope: number
  spent: number
  reserved: number
  limit: number
}

/** Seconds per rate window: a second is `windowMs / secondsPerWindow`. */
export const secondsPerWindow = 60

export const admitted: AdmitResult = Object.freeze({ admitted: true })
