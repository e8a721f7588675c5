import { isoOf, num, type Queryable } from '../db/sql.ts'
import type { Budget, BudgetPeriod, BudgetScope, UpdateBudget } from './schemas.ts'

interface BudgetRow extends Record<string, unknown> {
  id: string
  org_id: string
  scope: BudgetScope
  subject_id: string
  amount_usd: string
  period: BudgetPeriod
  spent_usd: string
  created_at: Date
  updated_at: Date
}

const toBudget = (row: BudgetRow): Budget => ({
  id: row.id,
  orgId: row.org_id,
  scope: row.scope,
  subjectId: row.subject_id,
  amountUsd: num(row.amount_usd),
  period: row.period,
  spentUsd: num(row.spent_usd),
  createdAt: isoOf(row.created_at),
  updatedAt: isoOf(row.updated_at),
})

/**
 * Budgets with what their subject spent this UTC day or month: the total the ledger insert keeps
 * (`spend_totals`), one indexed row per budget rather than a sum over the ledger.
 */
const budgetsQuery = `
  SELECT b.id, b.org_id, b.scope, b.subject_id, b.amount_usd::text, b.period, b.created_at, b.updated_at,
         coalesce(t.spent_usd, 0)::text AS spent_usd
    FROM budgets b
    LEFT JOIN spend_totals t
      ON t.org_id = b.org_id AND t.scope = b.scope AND t.subject_id = b.subject_id AND t.period = b.period
     AND t.period_start = date_trunc(b.period, now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`

/** Budgets of one org: every function takes the org id, and every statement filters on it. */
export const budgetsRepository = {
  async list(db: Queryable, orgId: string): Promise<Budget[]> {
    const { rows } = await db.query<BudgetRow>(
      `${budgetsQuery} WHERE b.org_id = $1 ORDER BY b.scope, b.subject_id`,
      [orgId],
    )
    return rows.map(toBudget)
  },

  async get(db: Queryable, orgId: string, id: string): Promise<Budget | null> {
    const { rows } = await db.query<BudgetRow>(`${budgetsQuery} WHERE b.org_id = $1 AND b.id = $2`, [
      orgId,
      id,
    ])
    return rows[0] ? toBudget(rows[0]) : null
  },

  async insert(
    db: Queryable,
    orgId: string,
    budget: { id: string; scope: BudgetScope; subjectId: string; amountUsd: number; period: BudgetPeriod },
  ): Promise<void> {
    await db.query(
      'INSERT INTO budgets (id, org_id, scope, subject_id, amount_usd, period) VALUES ($1, $2, $3, $4, $5, $6)',
      [budget.id, orgId, budget.scope, budget.subjectId, String(budget.amountUsd), budget.period],
    )
  },

  async update(db: Queryable, orgId: string, id: string, change: UpdateBudget): Promise<boolean> {
    const { rowCount } = await db.query(
      `UPDATE budgets SET amount_usd = coalesce($3::numeric, amount_usd), period = coalesce($4, period), updated_at = now()
        WHERE org_id = $1 AND id = $2`,
      [orgId, id, change.amountUsd === undefined ? null : String(change.amountUsd), change.period ?? null],
    )
    return (rowCount ?? 0) > 0
  },

  async remove(db: Queryable, orgId: string, id: string): Promise<boolean> {
    const { rowCount } = await db.query('DELETE FROM budgets WHERE org_id = $1 AND id = $2', [orgId, id])
    return (rowCount ?? 0) > 0
  },
}
