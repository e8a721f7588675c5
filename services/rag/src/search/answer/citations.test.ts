import { expect, test } from 'vitest'
import { CitationFilter, locateQuote, type Source } from './citations.ts'

const sources: Source[] = [
  {
    fileId: 'file-a',
    filename: 'a.md',
    chunkId: '11',
    chunkIndex: 0,
    charStart: 100,
    text: 'The pump needs oil\nevery month.',
  },
  {
    fileId: 'file-b',
    filename: 'b.pdf',
    chunkId: '12',
    chunkIndex: 3,
    charStart: 0,
    text: 'Pressure is 3 bar.',
  },
]

test('a quote is found exactly, else ignoring case and whitespace runs, with offsets in the chunk', () => {
  expect(locateQuote('The pump needs oil\nevery month.', 'needs oil')).toEqual({ start: 9, end: 18 })
  expect(locateQuote('The pump needs oil\nevery month.', 'OIL  every')).toEqual({ start: 15, end: 24 })
  expect(locateQuote('The pump needs oil', 'needs water')).toBeNull()
})

test('a verified marker becomes [n] and a citation naming file, chunk, offsets and quote', () => {
  const filter = new CitationFilter(sources)
  const out = filter.push('Oil monthly [1: "needs oil every month"]. Pressure [2: "3 bar"].')
  const end = filter.end()
  expect(out.text + end.text).toBe('Oil monthly [1]. Pressure [2].')
  expect(filter.citations).toEqual([
    {
      source: 1,
      file_id: 'file-a',
      filename: 'a.md',
      chunk_id: '11',
      chunk_index: 0,
      char_start: 109,
      char_end: 130,
      quote: 'needs oil\nevery month',
    },
    {
      source: 2,
      file_id: 'file-b',
      filename: 'b.pdf',
      chunk_id: '12',
      chunk_index: 3,
      char_start: 12,
      char_end: 17,
      quote: '3 bar',
    },
  ])
})

test('an invented quote, or a source that does not exist, is dropped and never shown', () => {
  const filter = new CitationFilter(sources)
  const text =
    filter.push('Change it yearly [1: "change the oil every year"] or not [7: "oil"]. [note] ok').text +
    filter.end().text
  expect(text).toBe('Change it yearly  or not . [note] ok')
  expect(filter.citations).toEqual([])
})

test('streamed one character at a time, a marker is held until decided', () => {
  const filter = new CitationFilter(sources)
  const answer = 'A [2: "Pressure is 3 bar."] B [1: "made up"] C [1: "pump"'
  const shown: string[] = []
  for (const c of answer) shown.push(filter.push(c).text)
  shown.push(filter.end().text)
  expect(shown.join('')).toBe('A [2] B  C [1]')
  // Nothing of a marker was shown before it was decided.
  expect(shown.some((piece) => piece.includes('"'))).toBe(false)
  expect(filter.citations.map((c) => c.quote)).toEqual(['Pressure is 3 bar.', 'pump'])
})
