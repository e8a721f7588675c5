import { type Static, Type } from 'typebox'

export const BudgetScope = Type.Union([Type.Literal('org'), Type.Literal('user'), Type.Literal('key')])
export type BudgetScope = Static<typeof BudgetScope>
/** Calendar day or month, UTC, as the llm-router counts them. */
export const BudgetPeriod = Type.Union([Type.Literal('day'), Type.Literal('month')])
export type BudgetPeriod = Static<typeof BudgetPeriod>
const Amount = Type.Number({ minimum: 0, maximum: 1e9 })

export const Budget = Type.Object({
  id: Type.String(),
  orgId: Type.String(),
  scope: BudgetScope,
  /** The org, user or key it limits. */
  subjectId: Type.String(),
  /** US dollars per period. */
  amountUsd: Type.Number(),
  period: BudgetPeriod,
  /** US dollars spent in the current period so far, from the usage ledger. */
  spentUsd: Type.Number(),
  createdAt: Type.String({ format: 'date-time' }),
  updatedAt: Type.String({ format: 'date-time' }),
})
export type Budget = Static<typeof Budget>

export const NewBudget = Type.Object(
  {
    scope: BudgetScope,
    /** The user or key id; absent (or the org's own id) for an org budget. */
    subjectId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    amountUsd: Amount,
    period: BudgetPeriod,
  },
  { additionalProperties: false },
)
export type NewBudget = Static<typeof NewBudget>

export const UpdateBudget = Type.Object(
  { amountUsd: Type.Optional(Amount), period: Type.Optional(BudgetPeriod) },
  { additionalProperties: false, minProperties: 1 },
)
export type UpdateBudget = Static<typeof UpdateBudget>

export const BudgetParams = Type.Object({ budgetId: Type.String({ minLength: 1, maxLength: 100 }) })
