import { expect, test } from 'vitest'
import { compileFilter, InvalidFilter } from './filters.ts'

test('keys and values are bound parameters numbered from the given start, never spliced', () => {
  const evil = "x'); DROP TABLE chunks; --"
  const compiled = compileFilter(
    {
      type: 'and',
      filters: [
        { type: 'eq', key: evil, value: evil },
        {
          type: 'or',
          filters: [
            { type: 'gt', key: 'year', value: 2020 },
            { type: 'in', key: 'tag', value: ['a', 'b'] },
          ],
        },
      ],
    },
    'c.attributes',
    5,
  )
  expect(compiled.sql).not.toContain('DROP')
  expect(compiled.sql).toBe(
    '(c.attributes @> $5::jsonb AND ((jsonb_typeof(c.attributes -> $7) = jsonb_typeof($6::jsonb) AND c.attributes -> $7 > $6::jsonb) OR $8::jsonb @> jsonb_build_array(c.attributes -> $9)))',
  )
  expect(compiled.values).toEqual([JSON.stringify({ [evil]: evil }), '2020', 'year', '["a","b"]', 'tag'])
  expect(compiled.keys).toEqual([evil, 'year', 'tag'])
})

test.each([
  [{ type: 'in', key: 'k', value: 'one' }, "'in' needs an array of values", 'filters.value'],
  [{ type: 'eq', key: 'k', value: ['a'] }, "'eq' compares with one value, not an array", 'filters.value'],
  [
    { type: 'and', filters: [{ type: 'or', filters: [] }] },
    "an 'or' filter needs at least one filter",
    'filters.filters[0].filters',
  ],
] as const)('%j is refused, naming the field at fault', (filter, message, param) => {
  const error = (() => {
    try {
      compileFilter(filter as never, 'attributes', 1)
    } catch (e) {
      return e
    }
  })()
  expect(error).toBeInstanceOf(InvalidFilter)
  expect(error).toMatchObject({ message, param })
})
