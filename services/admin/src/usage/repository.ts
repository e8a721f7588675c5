import type { LlmUsageV1 } from '@switchyard/contracts'
import { num, type Queryable } from '../db/sql.ts'
import type { Dimension, UsageRow } from './schemas.ts'

/** Each dimension's column expression and its name in a row; the only SQL a report request picks. */
const dimensionSql: Record<Dimension, { expr: string; key: keyof UsageRow }> = {
  day: { expr: `to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`, key: 'day' },
  model: { expr: 'model', key: 'model' },
  user: { expr: 'user_id', key: 'userId' },
  key: { expr: 'key_id', key: 'keyId' },
  org: { expr: 'org_id', key: 'orgId' },
}

export interface ReportFilter {
  from: Date
  to: Date
  groupBy: Dimension[]
  userId?: string | undefined
  keyId?: string | undefined
  model?: string | undefined
}

/** The usage ledger: rows come from llm.usage.v1 events; reports read one org's. */
export const ledgerRepository = {
  /**
   * Records one event and adds its cost to the spend totals of its org, user and key for its UTC
   * day and month, in one statement (so one transaction): the totals never miss a ledger row nor
   * count one twice. The envelope id is the key: a redelivered event changes nothing. Returns
   * whether it was new. The org is the event's own (usage arrives for every org).
   */
  async record(db: Queryable, eventId: string, usage: LlmUsageV1): Promise<boolean> {
    const { rowCount } = await db.query(
      `WITH recorded AS (
         INSERT INTO usage_ledger (event_id, org_id, request_id, user_id, key_id, model, deployment, provider,
           input_tokens, output_tokens, cost_usd, latency_ms, ttft_ms, status, error_code, attempts, stream, started_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
         ON CONFLICT (event_id) DO NOTHING
         RETURNING org_id, user_id, key_id, cost_usd, started_at
       )
       INSERT INTO spend_totals AS t (org_id, scope, subject_id, period, period_start, spent_usd)
       SELECT r.org_id, s.scope, s.subject_id, p.period,
              date_trunc(p.period, r.started_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', r.cost_usd
         FROM recorded r
        CROSS JOIN (VALUES ('day'), ('month')) AS p (period)
        CROSS JOIN LATERAL (VALUES ('org', r.org_id), ('user', r.user_id), ('key', r.key_id)) AS s (scope, subject_id)
        WHERE s.subject_id IS NOT NULL
        -- Rows locked in one global order: concurrent events of one org cannot deadlock.
        ORDER BY 2, 3, 4
       ON CONFLICT (org_id, scope, subject_id, period, period_start)
       DO UPDATE SET spent_usd = t.spent_usd + excluded.spent_usd`,
      [
        eventId,
        usage.orgId,
        usage.requestId,
        usage.userId,
        usage.keyId,
        usage.alias,
        usage.deployment,
        usage.provider,
        usage.inputTokens,
        usage.outputTokens,
        // As text: numeric keeps exactly the decimal the event carried.
        String(usage.costUsd),
        usage.latencyMs,
        usage.ttftMs,
        usage.status,
        usage.errorCode,
        usage.attempts,
        usage.stream,
        usage.startedAt,
      ],
    )
    return (rowCount ?? 0) > 0
  },

  /** Totals over [from, to) for one org, grouped by the chosen dimensions, ordered by them. */
  async report(db: Queryable, orgId: string, filter: ReportFilter): Promise<UsageRow[]> {
    const dims = filter.groupBy.map((d) => dimensionSql[d])
    const positions = dims.map((_, i) => String(i + 1))
    const columns = [
      ...dims.map((d, i) => `${d.expr} AS d${i}`),
      'count(*)::text AS requests',
      `count(*) FILTER (WHERE status <> 'ok')::text AS failed`,
      'coalesce(sum(input_tokens), 0)::text AS input_tokens',
      'coalesce(sum(output_tokens), 0)::text AS output_tokens',
      // Summed as numeric: exact, whatever the number of rows.
      'coalesce(sum(cost_usd), 0)::text AS cost_usd',
    ]
    const { rows } = await db.query<Record<string, string | null>>(
      `SELECT ${columns.join(', ')}
         FROM usage_ledger
        WHERE org_id = $1 AND started_at >= $2 AND started_at < $3
          AND ($4::text IS NULL OR user_id = $4)
          AND ($5::text IS NULL OR key_id = $5)
          AND ($6::text IS NULL OR model = $6)
        ${positions.length > 0 ? `GROUP BY ${positions.join(', ')} ORDER BY ${positions.join(', ')}` : ''}`,
      [orgId, filter.from, filter.to, filter.userId ?? null, filter.keyId ?? null, filter.model ?? null],
    )
    return rows.map((row) => {
      const groups: Record<string, unknown> = {}
      dims.forEach((d, i) => {
        groups[d.key] = row[`d${i}`] ?? null
      })
      return {
        ...groups,
        requests: num(row.requests),
        failed: num(row.failed),
        inputTokens: num(row.input_tokens),
        outputTokens: num(row.output_tokens),
        costUsd: num(row.cost_usd),
      } as UsageRow
    })
  },
}
