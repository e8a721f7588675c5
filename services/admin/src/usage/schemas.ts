import { type Static, Type } from 'typebox'

/** What a report can be grouped by. `day` is the UTC day the request started. */
export const dimensions = ['day', 'model', 'user', 'key', 'org'] as const
export type Dimension = (typeof dimensions)[number]

const Instant = Type.Union([Type.String({ format: 'date' }), Type.String({ format: 'date-time' })])

export const UsageQuery = Type.Object(
  {
    /** Comma-separated dimensions, e.g. `day,model`; none: one row of totals. */
    groupBy: Type.String({
      pattern: `^((${dimensions.join('|')})(,(${dimensions.join('|')}))*)?$`,
      default: '',
    }),
    /** Start, inclusive: a date (UTC midnight) or a date-time. Default: 30 days before `to`. */
    from: Type.Optional(Instant),
    /** End, exclusive: a date (UTC midnight) or a date-time. Default: now. */
    to: Type.Optional(Instant),
    userId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    keyId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    model: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    /** `csv` answers text/csv (as does `Accept: text/csv`). */
    format: Type.Union([Type.Literal('json'), Type.Literal('csv')], { default: 'json' }),
  },
  { additionalProperties: false },
)
export type UsageQuery = Static<typeof UsageQuery>

const Totals = {
  requests: Type.Integer(),
  /** Requests that ended in an error or were cancelled. */
  failed: Type.Integer(),
  inputTokens: Type.Integer(),
  outputTokens: Type.Integer(),
  /** US dollars, as the router priced each request. */
  costUsd: Type.Number(),
}

export const UsageRow = Type.Object({
  day: Type.Optional(Type.String()),
  model: Type.Optional(Type.String()),
  userId: Type.Optional(Type.String()),
  keyId: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  orgId: Type.Optional(Type.String()),
  ...Totals,
})
export type UsageRow = Static<typeof UsageRow>

export const UsageReport = Type.Object({
  orgId: Type.String(),
  from: Type.String({ format: 'date-time' }),
  to: Type.String({ format: 'date-time' }),
  groupBy: Type.Array(Type.String()),
  rows: Type.Array(UsageRow),
  totals: Type.Object(Totals),
})
export type UsageReport = Static<typeof UsageReport>
