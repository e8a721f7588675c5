import { expect, test } from 'vitest'
import { autoChunking, type Chunk, type ChunkingStrategy, chunkDocument, chunkingLimits } from './chunk.ts'
import { markdownDocument } from './parse/md.ts'
import { parseTxt } from './parse/txt.ts'
import { loadTokenCounter } from './tokenizer.ts'

const count = await loadTokenCounter()
const bytes = (text: string) => new TextEncoder().encode(text)
const small = (max: number, overlap: number): ChunkingStrategy => ({
  type: 'static',
  static: { max_chunk_size_tokens: max, chunk_overlap_tokens: overlap },
})

/** n distinct sentences, each a few tokens long. */
function sentences(n: number, topic: string): string {
  return Array.from({ length: n }, (_, i) => `The ${topic} fact number ${i + 1} is true.`).join(' ')
}

test('auto is OpenAI’s 800 tokens with 400 overlapping; static keeps the overlap at most half', () => {
  expect(chunkingLimits({ type: 'auto' })).toEqual({ maxTokens: 800, overlapTokens: 400 })
  expect(autoChunking).toEqual({ maxTokens: 800, overlapTokens: 400 })
  expect(chunkingLimits(small(100, 80))).toEqual({ maxTokens: 100, overlapTokens: 50 })
})

test('every chunk is its span of the original, within the token limit counted with the heading path', () => {
  const md = `# Guide\n\nIntro paragraph. ${sentences(20, 'intro')}\n\n## Install\n\n${sentences(40, 'install')}\n\n${sentences(30, 'more')}\n\n## Use\n\nShort.\n`
  const doc = markdownDocument(md)
  const chunks = chunkDocument(doc, small(100, 30), count)
  expect(chunks.length).toBeGreaterThan(4)
  for (const chunk of chunks) {
    expect(md.slice(chunk.start, chunk.end)).toBe(chunk.text)
    expect(chunk.tokens).toBe(count(chunk.embeddingInput))
    expect(chunk.tokens).toBeLessThanOrEqual(100)
    expect(chunk.embeddingInput).toBe(`${chunk.headingPath.join(' > ')}\n\n${chunk.text}`)
  }
  expect(chunks.map((c) => c.index)).toEqual(chunks.map((_, i) => i))
  // Sections are never mixed: the heading path tells which one a chunk belongs to.
  expect(new Set(chunks.map((c) => c.headingPath.join('/')))).toEqual(
    new Set(['Guide', 'Guide/Install', 'Guide/Use']),
  )
  expect(
    chunks
      .filter((c) => c.headingPath.join('/') === 'Guide/Install')
      .every((c) => /install|more/.test(c.text)),
  ).toBe(true)
  expect(chunks.at(-1)).toMatchObject({ text: 'Short.', headingPath: ['Guide', 'Use'] })
})

test('consecutive chunks of a section overlap by whole sentences, at most the overlap tokens', () => {
  const text = sentences(60, 'overlap')
  const chunks = chunkDocument(parseTxt(bytes(text)), small(60, 20), count)
  expect(chunks.length).toBeGreaterThan(3)
  for (let i = 1; i < chunks.length; i++) {
    const [prev, next] = [chunks[i - 1] as Chunk, chunks[i] as Chunk]
    expect(next.start).toBeGreaterThan(prev.start)
    expect(next.start).toBeLessThan(prev.end)
    const shared = text.slice(next.start, prev.end)
    expect(count(shared)).toBeLessThanOrEqual(20 + 2)
    expect(shared).toMatch(/^The overlap fact number \d+ is true\./)
  }
  expect(chunks.at(-1)?.end).toBe(text.length)
  // Without overlap, the chunks tile the text.
  const tiles = chunkDocument(parseTxt(bytes(text)), small(60, 0), count)
  for (let i = 1; i < tiles.length; i++)
    expect(tiles[i]?.start).toBeGreaterThanOrEqual(tiles[i - 1]?.end as number)
})

test('a chunk prefers to end at a paragraph boundary', () => {
  const paragraphs = [sentences(6, 'alpha'), sentences(6, 'beta'), sentences(6, 'gamma')]
  const text = paragraphs.join('\n\n')
  const perParagraph = count(paragraphs[0] as string)
  // Room for a paragraph and a half: the chunk stops after the first paragraph rather than mid-second.
  const chunks = chunkDocument(parseTxt(bytes(text)), small(Math.ceil(perParagraph * 1.5), 0), count)
  expect(chunks[0]?.text).toBe(paragraphs[0])
})

test('a sentence longer than a chunk is cut at words, and one huge word by characters', () => {
  const longSentence = Array.from({ length: 400 }, (_, i) => `word${i}`).join(' ')
  const blob = 'x'.repeat(5000)
  const text = `${longSentence}\n\n${blob}`
  const chunks = chunkDocument(parseTxt(bytes(text)), small(100, 0), count)
  for (const chunk of chunks) {
    expect(chunk.tokens).toBeLessThanOrEqual(100)
    expect(text.slice(chunk.start, chunk.end)).toBe(chunk.text)
  }
  const wordChunks = chunks.filter((c) => c.text.startsWith('word'))
  expect(wordChunks.length).toBeGreaterThan(1)
  expect(wordChunks.map((c) => c.text).join(' ')).toBe(longSentence)
  expect(
    chunks
      .filter((c) => c.text.startsWith('x'))
      .map((c) => c.text)
      .join(''),
  ).toBe(blob)
})

test('content hashes change only for chunks whose text or heading changed', () => {
  const paragraphs = Array.from({ length: 8 }, (_, i) => sentences(5, `topic${i}`))
  const before = chunkDocument(parseTxt(bytes(paragraphs.join('\n\n'))), small(80, 0), count)
  const edited = [...paragraphs]
  edited[6] = sentences(5, 'changed')
  const after = chunkDocument(parseTxt(bytes(edited.join('\n\n'))), small(80, 0), count)
  const old = new Set(before.map((c) => c.hash))
  const changed = after.filter((c) => !old.has(c.hash))
  expect(changed.length).toBeGreaterThan(0)
  expect(changed.length).toBeLessThan(after.length)
  expect(changed.every((c) => c.text.includes('changed'))).toBe(true)
  // The same text under another heading is another chunk to embed.
  const a = chunkDocument(markdownDocument('# A\n\nSame text.'), { type: 'auto' }, count)
  const b = chunkDocument(markdownDocument('# B\n\nSame text.'), { type: 'auto' }, count)
  expect(a[0]?.text).toBe(b[0]?.text)
  expect(a[0]?.hash).not.toBe(b[0]?.hash)
})
