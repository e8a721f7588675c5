// OpenAI's attribute filters compiled to parameterised SQL over chunks.attributes (jsonb). Keys and
// values are always bound parameters, never spliced into the text.

export type FilterValue = string | number | boolean
export type ComparisonFilter = {
  type: 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'nin'
  key: string
  value: FilterValue | FilterValue[]
}
export type CompoundFilter = { type: 'and' | 'or'; filters: Filter[] }
export type Filter = ComparisonFilter | CompoundFilter

/** A filter as SQL: `sql` refers to `column` and to `$n` placeholders numbered from the given start. */
export interface CompiledFilter {
  sql: string
  values: unknown[]
  /** Every attribute key the filter reads, for the unknown-key check. */
  keys: string[]
}

/** A filter that cannot mean anything, whatever the data (the caller answers 400 with `param`). */
export class InvalidFilter extends Error {
  readonly param: string
  constructor(message: string, param: string) {
    super(message)
    this.name = 'InvalidFilter'
    this.param = param
  }
}

const orderOperators = { gt: '>', gte: '>=', lt: '<', lte: '<=' } as const

/**
 * Compiles `filter` against the jsonb `column`; placeholders start at `$firstParam`.
 *
 * - eq: the attribute equals the value (same JSON type): `column @> {key: value}`, which the GIN
 *   index on attributes serves. ne: the negation (a chunk without the key matches).
 * - gt/gte/lt/lte: jsonb ordering, only between values of the same JSON type (numbers numerically,
 *   strings by collation, e.g. ISO dates); a chunk whose attribute has another type never matches.
 * - in/nin: the attribute is (not) one of the array's values.
 */
export function compileFilter(filter: Filter, column: string, firstParam: number): CompiledFilter {
  const values: unknown[] = []
  const keys = new Set<string>()
  const bind = (value: unknown): string => {
    values.push(value)
    return `$${firstParam + values.length - 1}`
  }
  const compile = (f: Filter, path: string): string => {
    if ('filters' in f) {
      if (f.filters.length === 0)
        throw new InvalidFilter(`an '${f.type}' filter needs at least one filter`, `${path}.filters`)
      const parts = f.filters.map((sub, i) => compile(sub, `${path}.filters[${i}]`))
      return `(${parts.join(f.type === 'and' ? ' AND ' : ' OR ')})`
    }
    keys.add(f.key)
    const list = Array.isArray(f.value)
    if ((f.type === 'in' || f.type === 'nin') !== list)
      throw new InvalidFilter(
        list ? `'${f.type}' compares with one value, not an array` : `'${f.type}' needs an array of values`,
        `${path}.value`,
      )
    switch (f.type) {
      case 'eq':
        return `${column} @> ${bind(JSON.stringify({ [f.key]: f.value }))}::jsonb`
      case 'ne':
        return `NOT ${column} @> ${bind(JSON.stringify({ [f.key]: f.value }))}::jsonb`
      case 'in':
        return `${bind(JSON.stringify(f.value))}::jsonb @> jsonb_build_array(${column} -> ${bind(f.key)})`
      case 'nin':
        return `NOT coalesce(${bind(JSON.stringify(f.value))}::jsonb @> jsonb_build_array(${column} -> ${bind(f.key)}), false)`
      default: {
        const value = bind(JSON.stringify(f.value))
        const attribute = `${column} -> ${bind(f.key)}`
        return `(jsonb_typeof(${attribute}) = jsonb_typeof(${value}::jsonb) AND ${attribute} ${orderOperators[f.type]} ${value}::jsonb)`
      }
    }
  }
  const sql = compile(filter, 'filters')
  return { sql, values, keys: [...keys] }
}
