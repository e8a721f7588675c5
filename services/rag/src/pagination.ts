import { type TSchema, Type } from 'typebox'

/**
 * OpenAI's cursor pagination, shared by every list: `after` and `before` are ids of the list's
 * objects (the last or first one of the page seen), `order` is by creation.
 */
export const listQueryProperties = (cursorPattern: string) => ({
  /** Objects per page, 1 to 100. */
  limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
  /** By creation time: newest first (desc, the default) or oldest first. */
  order: Type.Union([Type.Literal('asc'), Type.Literal('desc')], { default: 'desc' }),
  /** The page after this object, in `order`. */
  after: Type.Optional(Type.String({ pattern: cursorPattern })),
  /** The page before this object, in `order`. */
  before: Type.Optional(Type.String({ pattern: cursorPattern })),
})

/** What pageSql needs of a list's query. */
export interface ListQuery {
  limit: number
  order: 'asc' | 'desc'
  after?: string | undefined
  before?: string | undefined
}

/** A list response: `first_id`/`last_id` are the page's ends, null when it is empty. */
export const ListOf = <T extends TSchema>(item: T) =>
  Type.Object({
    object: Type.Literal('list'),
    data: Type.Array(item),
    first_id: Type.Union([Type.String(), Type.Null()]),
    last_id: Type.Union([Type.String(), Type.Null()]),
    has_more: Type.Boolean(),
  })

/**
 * How a page is read in SQL, with `key` the column that orders the list (ascending = creation
 * order): the condition on the cursors, the ORDER BY, and how many rows to fetch (one more than
 * the page, to learn `has_more`). A `before` page is read backwards from the cursor, then turned
 * around, so it ends next to the cursor.
 */
export interface PageSql {
  /** `AND ...` conditions for the cursors, or ''. Uses `$n` placeholders from `next`. */
  where: string
  orderBy: string
  fetch: number
  values: unknown[]
  /** Puts the fetched rows in the order of the page and says whether more exist past them. */
  finish<R>(rows: R[]): { rows: R[]; hasMore: boolean }
}

/**
 * @param key SQL expression the list is ordered by, ascending in creation order.
 * @param cursorKey SQL expression giving `key`'s value for the object a cursor names (`$n` is the cursor).
 * @param firstParam number of the first `$n` placeholder this may use.
 */
export function pageSql(
  query: ListQuery,
  key: string,
  cursorKey: (param: string) => string,
  firstParam: number,
): PageSql {
  const asc = query.order === 'asc'
  const values: unknown[] = []
  const conditions: string[] = []
  const param = (value: unknown) => {
    values.push(value)
    return `$${firstParam + values.length - 1}`
  }
  // In `order`, "after X" means further from the start than X: greater when ascending.
  if (query.after !== undefined) conditions.push(`${key} ${asc ? '>' : '<'} ${cursorKey(param(query.after))}`)
  if (query.before !== undefined)
    conditions.push(`${key} ${asc ? '<' : '>'} ${cursorKey(param(query.before))}`)
  // With only `before`, read from the cursor backwards, so the page is the one just before it.
  const backwards = query.before !== undefined && query.after === undefined
  const ascending = asc !== backwards
  return {
    where: conditions.map((c) => ` AND ${c}`).join(''),
    orderBy: `${key} ${ascending ? 'ASC' : 'DESC'}`,
    fetch: query.limit + 1,
    values,
    finish<R>(rows: R[]) {
      const hasMore = rows.length > query.limit
      const page = rows.slice(0, query.limit)
      return { rows: backwards ? page.reverse() : page, hasMore }
    },
  }
}

/** The list body for a page of views with ids. */
export function listOf<T extends { id: string }>(data: T[], hasMore: boolean) {
  return {
    object: 'list' as const,
    data,
    first_id: data[0]?.id ?? null,
    last_id: data.at(-1)?.id ?? null,
    has_more: hasMore,
  }
}
