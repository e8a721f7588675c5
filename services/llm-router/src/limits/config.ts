import { type Static, type TSchema, Type } from 'typebox'
import { Compile } from 'typebox/compile'

// Where rate limits and budgets come from: a section of the router's YAML (or an admin.config.v1
// payload), validated whole and swapped whole at runtime. Every field is optional: a scope with no
// limit and no budget is not counted at all.
//
//   limits:
//     defaults: { org: { rpm: 600, tpm: 1000000 }, user: { rpm: 60 }, key: { rpm: 60, tpm: 100000 } }
//     orgs: { acme: { rpm: 3000 } }          # replaces the default's rpm, keeps its tpm
//     keys: { key_ci: { tpm: null } }        # null lifts a default limit for this key
//   budgets:
//     defaults: { user: { amountUsd: 5, period: day } }
//     orgs: { acme: { amountUsd: 1000, period: month } }
//     users: { intern: null }                # no budget for this user despite the default
//   orgBudgets:                              # what admin announced, per org (admin.config.v1)
//     acme: { orgs: { acme: { amountUsd: 50, period: month } }, users: { alice: { amountUsd: 1, period: day } } }

/** A scope's limits; null lifts a limit the defaults set. */
export const RateLimitSpec = Type.Object(
  {
    /** Requests admitted in any 60-second window. */
    rpm: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
    /** Tokens (prompt + completion, counted up front at their worst case) in any 60-second window. */
    tpm: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
  },
  { additionalProperties: false },
)
export type RateLimitSpec = Static<typeof RateLimitSpec>

export const BudgetPeriod = Type.Union([Type.Literal('day'), Type.Literal('month')])
export type BudgetPeriod = Static<typeof BudgetPeriod>

export const BudgetSpec = Type.Object(
  {
    /** US dollars per period; kept to the micro-dollar. */
    amountUsd: Type.Number({ minimum: 0, maximum: 1e9 }),
    /** Calendar day or month, UTC. */
    period: BudgetPeriod,
  },
  { additionalProperties: false },
)
export type BudgetSpec = Static<typeof BudgetSpec>

const Id = Type.String({ minLength: 1 })
const perScope = <T extends TSchema>(schema: T) =>
  Type.Object(
    { org: Type.Optional(schema), user: Type.Optional(schema), key: Type.Optional(schema) },
    { additionalProperties: false },
  )

/** Budgets by id: null means no budget for this one despite the defaults. */
const BudgetsById = {
  orgs: Type.Optional(Type.Record(Id, Type.Union([BudgetSpec, Type.Null()]))),
  users: Type.Optional(Type.Record(Id, Type.Union([BudgetSpec, Type.Null()]))),
  keys: Type.Optional(Type.Record(Id, Type.Union([BudgetSpec, Type.Null()]))),
}

export const LimitsSpec = Type.Object(
  {
    limits: Type.Optional(
      Type.Object(
        {
          /** Limits every org, user and key gets unless overridden. */
          defaults: Type.Optional(perScope(RateLimitSpec)),
          /** By org id, user id, key id: fields set here replace the defaults' ones. */
          orgs: Type.Optional(Type.Record(Id, RateLimitSpec)),
          users: Type.Optional(Type.Record(Id, RateLimitSpec)),
          keys: Type.Optional(Type.Record(Id, RateLimitSpec)),
        },
        { additionalProperties: false },
      ),
    ),
    budgets: Type.Optional(
      Type.Object(
        {
          defaults: Type.Optional(perScope(BudgetSpec)),
          ...BudgetsById,
        },
        { additionalProperties: false },
      ),
    ),
    /**
     * Budgets admin manages, by org id (admin.config.v1 `budget` events carry one org's). For a
     * request of that org they replace `budgets`' by-id entries (orgs, users, keys); its defaults
     * still apply. A user's budget here binds the user in this org only.
     */
    orgBudgets: Type.Optional(Type.Record(Id, Type.Object(BudgetsById, { additionalProperties: false }))),
    /**
     * How long a budget reservation holds if its request never settles (the router died), ms.
     * Longer than the longest request (the catalog's totalMs defaults to 10 minutes). Default 15 min.
     */
    reservationTtlMs: Type.Optional(Type.Integer({ minimum: 1_000 })),
    /** Completion tokens assumed for a chat request without max_tokens, for TPM and budgets. Default 4096. */
    unboundedMaxTokens: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
)
export type LimitsSpec = Static<typeof LimitsSpec>

export type Scope = 'key' | 'user' | 'org'
/** Checked in this order; a message names the scope that binds. */
export const scopes: readonly Scope[] = ['key', 'user', 'org']

export interface RateLimit {
  /** null: not limited. */
  rpm: number | null
  tpm: number | null
}

export interface Budget {
  /** Integer micro-dollars. */
  limitMicros: number
  period: BudgetPeriod
}

/** The validated section with lookups: what admission runs on. */
export interface Limits {
  rateLimitFor(scope: Scope, id: string): RateLimit
  /** `orgId`: the request's org, whose `orgBudgets` entry (if any) replaces the by-id budgets. */
  budgetFor(scope: Scope, id: string, orgId?: string): Budget | null
  reservationTtlMs: number
  unboundedMaxTokens: number
}

/** Every problem of a limits section, listed together. */
export class LimitsConfigError extends Error {
  override name = 'LimitsConfigError'
  readonly issues: readonly string[]
  constructor(source: string, issues: readonly string[]) {
    super(`Invalid limits (${source}):\n${issues.map((issue) => `  ${issue}`).join('\n')}`)
    this.issues = issues
  }
}

const checkSpec = Compile(LimitsSpec)
const plural = { org: 'orgs', user: 'users', key: 'keys' } as const

/** An entry of a by-id record, ignoring inherited names such as `constructor`. */
const own = <T>(record: Record<string, T> | undefined, id: string): T | undefined =>
  record !== undefined && Object.hasOwn(record, id) ? record[id] : undefined

export const usdToMicros = (usd: number): number => Math.round(usd * 1_000_000)

/** Validates a limits section (parsed YAML, inline config, an admin payload). Throws LimitsConfigError. */
export function buildLimits(doc: unknown, source = 'inline'): Limits {
  if (!checkSpec.Check(doc)) {
    const issues = checkSpec.Errors(doc).map((e) => `${e.instancePath || '/'} ${e.message}`)
    throw new LimitsConfigError(source, [...new Set(issues)].slice(0, 50))
  }
  const spec = doc
  const rate = spec.limits ?? {}
  const budgets = spec.budgets ?? {}
  const toBudget = (b: BudgetSpec | null | undefined): Budget | null =>
    b == null ? null : { limitMicros: usdToMicros(b.amountUsd), period: b.period }
  return {
    rateLimitFor(scope, id) {
      const merged = { ...rate.defaults?.[scope], ...own(rate[plural[scope]], id) }
      return { rpm: merged.rpm ?? null, tpm: merged.tpm ?? null }
    },
    budgetFor(scope, id, orgId) {
      const managed = orgId === undefined ? undefined : own(spec.orgBudgets, orgId)
      const byId = (managed ?? budgets)[plural[scope]]
      if (byId !== undefined && Object.hasOwn(byId, id)) return toBudget(byId[id])
      return toBudget(budgets.defaults?.[scope])
    },
    reservationTtlMs: spec.reservationTtlMs ?? 15 * 60_000,
    unboundedMaxTokens: spec.unboundedMaxTokens ?? 4096,
  }
}
