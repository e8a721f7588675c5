import { expect, test } from 'vitest'
import { cutToFit } from './embeddings.ts'

test('cutToFit keeps an input that fits and cuts ids that end in a special token until they fit', () => {
  const [cls, sep] = [101, 102]
  // As a WordPiece context measures: [CLS] and [SEP] added unless the ids already have them.
  const measure = (input: string | number[]) => {
    const ids = typeof input === 'string' ? input.split(' ').map(Number) : input
    return ids.length + (ids[0] === cls ? 0 : 1) + (ids.at(-1) === sep ? 0 : 1)
  }
  const tokenize = (text: string) => text.split(' ').map(Number)
  expect(cutToFit('1 2 3', 5, measure, tokenize)).toBe('1 2 3')
  expect(cutToFit('1 2 3 4 5 6', 5, measure, tokenize)).toEqual([1, 2, 3])
  const own = [cls, 1, 2, 3, 4, 5, 6, sep]
  const cut = cutToFit(own, 5, measure, tokenize)
  expect(measure(cut)).toBe(5)
  expect(cut).toEqual([cls, 1, 2, 3])
})
