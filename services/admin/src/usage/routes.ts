import type { KitServer } from '@switchyard/kit'
import { Type } from 'typebox'
import type { AdminDeps } from '../deps.ts'
import { adminErrors } from '../errors.ts'
import { toCsv } from './csv.ts'
import { ledgerRepository } from './repository.ts'
import { type Dimension, UsageQuery, UsageReport, type UsageRow } from './schemas.ts'

const dayMs = 86_400_000
/** The longest range one report covers: bounds the rows scanned by one request. */
const maxRangeDays = 366

/** A date is UTC midnight; a date-time is taken as written. */
function instant(text: string, param: string): Date {
  const date = new Date(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text)
  if (Number.isNaN(date.getTime())) {
    throw Object.assign(new adminErrors.InvalidRequest(`${param} is not a valid date`), { param })
  }
  return date
}

/** `?format=csv`, or an Accept header that asks for CSV and not JSON. */
function wantsCsv(query: UsageQuery, accept: string | undefined): boolean {
  if (query.format === 'csv') return true
  return accept !== undefined && /\btext\/csv\b/.test(accept) && !/\bapplication\/json\b/.test(accept)
}

const columnsOf: Record<Dimension, keyof UsageRow> = {
  day: 'day',
  model: 'model',
  user: 'userId',
  key: 'keyId',
  org: 'orgId',
}
const metricColumns = ['requests', 'failed', 'inputTokens', 'outputTokens', 'costUsd'] as const

export function usageRoutes(app: KitServer, deps: AdminDeps): void {
  app.get(
    '/admin/v1/usage',
    {
      config: { adminAccess: { role: 'viewer', write: false } },
      schema: {
        summary: 'Usage and cost of your org, grouped by day, model, user, key or org; JSON or CSV',
        querystring: UsageQuery,
        response: {
          200: {
            description: 'The report',
            content: { 'application/json': { schema: UsageReport }, 'text/csv': { schema: Type.String() } },
          },
        },
      },
    },
    async (request, reply) => {
      const { caller, query } = request
      const to = query.to ? instant(query.to, 'to') : new Date()
      const from = query.from ? instant(query.from, 'from') : new Date(to.getTime() - 30 * dayMs)
      if (from >= to)
        throw Object.assign(new adminErrors.InvalidRequest('from must be before to'), { param: 'from' })
      if (to.getTime() - from.getTime() > maxRangeDays * dayMs) {
        throw Object.assign(new adminErrors.InvalidRequest(`A report covers at most ${maxRangeDays} days`), {
          param: 'from',
        })
      }
      const groupBy = [...new Set(query.groupBy.split(',').filter((d) => d !== ''))] as Dimension[]
      const filter = { from, to, userId: query.userId, keyId: query.keyId, model: query.model }
      const rows = await ledgerRepository.report(deps.pool, caller.orgId, { ...filter, groupBy })
      if (wantsCsv(query, request.headers.accept)) {
        const header = [...groupBy.map((d) => columnsOf[d]), ...metricColumns]
        const csv = toCsv(
          header,
          rows.map((row) => header.map((column) => row[column as keyof UsageRow])),
        )
        const name = `usage-${caller.orgId}-${from.toISOString().slice(0, 10)}-${to.toISOString().slice(0, 10)}.csv`
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${name}"`)
          .send(csv)
      }
      // Totals come from the database too (numeric sums: exact), not from adding rounded rows.
      const [totals] =
        groupBy.length === 0
          ? rows
          : await ledgerRepository.report(deps.pool, caller.orgId, { ...filter, groupBy: [] })
      return {
        orgId: caller.orgId,
        from: from.toISOString(),
        to: to.toISOString(),
        groupBy,
        rows,
        totals: { requests: 0, failed: 0, inputTokens: 0, outputTokens: 0, costUsd: 0, ...totals },
      }
    },
  )
}
