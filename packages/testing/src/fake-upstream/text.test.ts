import { expect, test } from 'vitest'
import { contentChunks } from './answer.ts'
import { createBehaviorState } from './behavior.ts'
import { countTokens, fakeEmbedding, fitTokens, jsonReply, sampleFromSchema, splitTokens } from './text.ts'

test('token pieces concatenate back to the text, one per word', () => {
  for (const text of ['Hello world', '  leading and trailing  ', 'line\nbreaks\tand  tabs', 'one', '']) {
    const pieces = splitTokens(text)
    expect(pieces).toHaveLength(countTokens(text))
    if (pieces.length > 0) expect(pieces.join('')).toBe(text)
  }
})

test('fitTokens repeats or cuts to the exact length; contentChunks spreads tokens evenly', () => {
  expect(fitTokens('a b c', 7)).toBe('a b c a b c a')
  expect(countTokens(fitTokens('a b c d e', 2))).toBe(2)
  const chunks = contentChunks(fitTokens('w', 10), 4)
  expect(chunks.map((c) => c.tokens)).toEqual([2, 3, 2, 3])
  expect(chunks.map((c) => countTokens(c.text))).toEqual(chunks.map((c) => c.tokens))
})

test('embeddings are unit length, deterministic and case-insensitive', () => {
  const v = fakeEmbedding('Some Words here', 24)
  expect(v).toHaveLength(24)
  expect(Math.hypot(...v)).toBeCloseTo(1, 6)
  expect(fakeEmbedding('some words HERE', 24)).toEqual(v)
  expect(fakeEmbedding('', 5)).toEqual([1, 0, 0, 0, 0])
})

test('schema samples follow $ref, anyOf, enums and nullable types', () => {
  const schema = {
    type: 'object',
    properties: {
      item: { $ref: '#/$defs/Item' },
      note: { type: ['null', 'string'] },
      either: { anyOf: [{ type: 'integer', minimum: 5 }, { type: 'string' }] },
    },
    $defs: { Item: { type: 'object', properties: { kind: { enum: ['a', 'b'] }, ok: { const: false } } } },
  }
  expect(sampleFromSchema(schema, 'txt')).toEqual({ item: { kind: 'a', ok: false }, note: 'txt', either: 5 })
  expect(JSON.parse(jsonReply('not json', undefined))).toEqual({ reply: 'not json' })
  expect(jsonReply('{"already":"json"}', undefined)).toBe('{"already":"json"}')
  expect(JSON.parse(jsonReply('42', undefined))).toEqual({ reply: '42' })
})

test('failTimes counts per layer and restarts when the behavior is set again', () => {
  const state = createBehaviorState({ status: 500, failTimes: 1 })
  expect(state.resolve('m', undefined).status).toBe(500)
  expect(state.resolve('m', undefined).status).toBeUndefined()
  const header = JSON.stringify({ status: 429, failTimes: 2 })
  const fromHeader = [1, 2, 3].map(() => state.resolve('m', header).status)
  expect(fromHeader).toEqual([429, 429, undefined])
  state.set({ status: 502, failTimes: 1 })
  expect(state.resolve('m', undefined).status).toBe(502)
  expect(() => state.resolve('m', '[1]')).toThrow(SyntaxError)
})
