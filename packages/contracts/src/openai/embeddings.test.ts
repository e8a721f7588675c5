import { Value } from 'typebox/value'
import { expect, test } from 'vitest'
import { EmbeddingsRequest, EmbeddingsResponse } from './embeddings.ts'

test.each([
  ['one string', 'hello'],
  ['strings', ['a', 'b']],
  ['token ids', [1, 2, 3]],
  ['token id arrays', [[1, 2], [3]]],
])('input as %s is valid', (_name, input) => {
  expect(
    Value.Errors(EmbeddingsRequest, { model: 'bge', input, encoding_format: 'float', dimensions: 256 }),
  ).toEqual([])
})

test.each([
  ['an empty string', { model: 'bge', input: '' }],
  ['an empty list', { model: 'bge', input: [] }],
  ['mixed strings and numbers', { model: 'bge', input: ['a', 1] }],
  ['fractional token ids', { model: 'bge', input: [1.5] }],
  ['no model', { input: 'x' }],
  ['an unknown encoding', { model: 'bge', input: 'x', encoding_format: 'int8' }],
])('%s is invalid', (_name, body) => {
  expect(Value.Check(EmbeddingsRequest, body)).toBe(false)
})

test('a response holds one embedding per input, as floats or base64', () => {
  const vector = [0.1, -0.2, 0.3]
  const response = {
    object: 'list',
    model: 'bge',
    data: [
      { object: 'embedding', index: 0, embedding: vector },
      {
        object: 'embedding',
        index: 1,
        embedding: Buffer.from(new Float32Array(vector).buffer).toString('base64'),
      },
    ],
    usage: { prompt_tokens: 4, total_tokens: 4 },
  }
  expect(Value.Errors(EmbeddingsResponse, response)).toEqual([])
  expect(Value.Check(EmbeddingsResponse, { ...response, data: [{ index: 0, embedding: vector }] })).toBe(
    false,
  )
})
