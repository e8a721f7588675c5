import { Value } from 'typebox/value'
import { expect, test } from 'vitest'
import { ModelList } from './models.ts'

test('a model list is valid; a model without owned_by is not', () => {
  const model = { id: 'llama-3.1-8b', object: 'model', created: 1_700_000_000, owned_by: 'switchyard' }
  expect(Value.Errors(ModelList, { object: 'list', data: [model] })).toEqual([])
  const { owned_by: _dropped, ...incomplete } = model
  expect(
    Value.Errors(ModelList, { object: 'list', data: [incomplete] }).map((e) => e.instancePath),
  ).toContain('/data/0')
})
