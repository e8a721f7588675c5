// Structure-aware chunking: sections (heading paths) are never mixed in one chunk, chunks grow by
// whole sentences and prefer to end at a paragraph boundary, and a sentence longer than a chunk is
// cut at word boundaries. Every chunk is a contiguous span of the parsed text, so its offsets and
// its text agree, and a citation quoting it can be checked against the original.
import { createHash } from 'node:crypto'
import type { ParsedDocument } from './parse/document.ts'

/** OpenAI's `chunking_strategy` as a vector store file carries it. */
export type ChunkingStrategy =
  | { type: 'auto' }
  | { type: 'static'; static: { max_chunk_size_tokens: number; chunk_overlap_tokens: number } }

/** OpenAI's `auto` strategy: 800 tokens per chunk, 400 overlapping. */
export const autoChunking = { maxTokens: 800, overlapTokens: 400 } as const

/** Tokens in a text, as the embedding model's caller counts them (o200k, see tokenizer.ts). */
export type CountTokens = (text: string) => number

export interface Chunk {
  /** 0-based position in the file. */
  index: number
  /** The chunk's span of the parsed text, as stored and returned by search. */
  text: string
  /** Titles of the headings the chunk sits under, outermost first. */
  headingPath: string[]
  /** UTF-16 offsets of `text` in the parsed text, end exclusive. */
  start: number
  end: number
  /** Tokens of `embeddingInput`, which is what the model reads. */
  tokens: number
  /** The heading path, then the text: the model sees where a chunk sits. */
  embeddingInput: string
  /** sha256 (hex) of `embeddingInput`: an unchanged chunk keeps its embedding on re-ingestion. */
  hash: string
}

interface Unit {
  start: number
  end: number
  tokens: number
  /** First unit of a paragraph: a good place to end the chunk before. */
  opensParagraph: boolean
}

const sentences = new Intl.Segmenter('en', { granularity: 'sentence' })
const words = new Intl.Segmenter('en', { granularity: 'word' })

export function chunkingLimits(strategy: ChunkingStrategy): { maxTokens: number; overlapTokens: number } {
  if (strategy.type === 'auto') return autoChunking
  const { max_chunk_size_tokens: maxTokens, chunk_overlap_tokens: overlapTokens } = strategy.static
  return { maxTokens, overlapTokens: Math.min(overlapTokens, Math.floor(maxTokens / 2)) }
}

/** Cuts a parsed document into chunks of at most the strategy's tokens (heading path included). */
export function chunkDocument(doc: ParsedDocument, strategy: ChunkingStrategy, count: CountTokens): Chunk[] {
  const { maxTokens, overlapTokens } = chunkingLimits(strategy)
  const chunks: Chunk[] = []
  const headings: { level: number; title: string }[] = []
  let section: Unit[] = []

  const flush = (): void => {
    if (section.length === 0) return
    const headingPath = headings.map((h) => h.title)
    const prefix = headingPrefix(headingPath)
    // The heading path is read by the model too; keep at least half of each chunk for the text.
    const budget = Math.max(maxTokens - (prefix === '' ? 0 : count(prefix)), Math.ceil(maxTokens / 2))
    const units = section.flatMap((unit) =>
      unit.tokens > budget ? splitLong(doc.text, unit, budget, count) : [unit],
    )
    for (const [first, last] of pack(units, budget, overlapTokens)) {
      const start = (units[first] as Unit).start
      const end = (units[last] as Unit).end
      const text = doc.text.slice(start, end)
      const embeddingInput = prefix + text
      chunks.push({
        index: chunks.length,
        text,
        headingPath,
        start,
        end,
        tokens: count(embeddingInput),
        embeddingInput,
        hash: createHash('sha256').update(embeddingInput).digest('hex'),
      })
    }
    section = []
  }

  for (const block of doc.blocks) {
    if (block.kind === 'heading') {
      flush()
      while (headings.length > 0 && (headings.at(-1) as { level: number }).level >= block.level)
        headings.pop()
      if (block.title !== '') headings.push({ level: block.level, title: block.title })
      continue
    }
    let opensParagraph = true
    for (const unit of sentenceUnits(doc.text, block.start, block.end)) {
      // +1 for the whitespace that joins it to the previous unit, so a packed chunk stays in budget.
      section.push({ ...unit, tokens: count(doc.text.slice(unit.start, unit.end)) + 1, opensParagraph })
      opensParagraph = false
    }
  }
  flush()
  return chunks
}

/** The heading path as the model reads it before a chunk's text ('' without headings). */
export function headingPrefix(path: readonly string[]): string {
  return path.length === 0 ? '' : `${path.join(' > ')}\n\n`
}

/**
 * Groups units into chunks, as [first, last] index pairs: each chunk takes units while they fit in
 * `budget` (backing off to the last paragraph start if that keeps it at least half full), and the
 * next one starts with the previous chunk's trailing units that fit in `overlap`.
 */
function pack(units: readonly Unit[], budget: number, overlap: number): [number, number][] {
  const ranges: [number, number][] = []
  let first = 0
  while (first < units.length) {
    let last = first
    let used = (units[first] as Unit).tokens
    while (last + 1 < units.length && used + (units[last + 1] as Unit).tokens <= budget) {
      last++
      used += (units[last] as Unit).tokens
    }
    if (last + 1 < units.length) last = paragraphEnd(units, first, last, budget)
    ranges.push([first, last])
    if (last + 1 >= units.length) break
    // Start the next chunk as far back as the overlap allows, but always after this one's start.
    let next = last + 1
    let carried = 0
    while (next - 1 > first && carried + (units[next - 1] as Unit).tokens <= overlap) {
      next--
      carried += (units[next] as Unit).tokens
    }
    // The carried units and the next unit must fit together, else the chunk could not grow.
    while (next <= last && carried + (units[last + 1] as Unit).tokens > budget) {
      carried -= (units[next] as Unit).tokens
      next++
    }
    first = next
  }
  return ranges
}

/** The last unit before a paragraph start within [first, last], if ending there keeps half the budget. */
function paragraphEnd(units: readonly Unit[], first: number, last: number, budget: number): number {
  let used = 0
  for (let i = first; i <= last; i++) used += (units[i] as Unit).tokens
  for (let i = last; i > first; i--) {
    used -= (units[i] as Unit).tokens
    if ((units[i] as Unit).opensParagraph) return used >= budget / 2 ? i - 1 : last
    if (used < budget / 2) return last
  }
  return last
}

/** Sentences of `text[from, to)`, each trimmed of surrounding whitespace. */
function sentenceUnits(text: string, from: number, to: number): { start: number; end: number }[] {
  const units: { start: number; end: number }[] = []
  for (const { index, segment } of sentences.segment(text.slice(from, to))) {
    const lead = segment.length - segment.trimStart().length
    const body = segment.trim()
    if (body !== '') units.push({ start: from + index + lead, end: from + index + lead + body.length })
  }
  return units
}

/**
 * A sentence longer than a chunk, cut at word boundaries into pieces of at most `budget` tokens;
 * a single word longer than that (a base64 blob, a URL) is cut by characters.
 */
function splitLong(text: string, unit: Unit, budget: number, count: CountTokens): Unit[] {
  const pieces: Unit[] = []
  let start = unit.start
  let end = unit.start
  // Per-word counts add up to at least the whole's (a word and its space are one token, counted
  // apart two): the sum bounds the piece without recounting it word by word.
  let used = 0
  for (const { index, segment } of words.segment(text.slice(unit.start, unit.end))) {
    const wordStart = unit.start + index
    const wordEnd = wordStart + segment.length
    const tokens = count(segment)
    if (used + tokens <= budget) {
      end = wordEnd
      used += tokens
      continue
    }
    if (end > start) pieces.push(piece(text, start, end, count, pieces.length === 0 && unit.opensParagraph))
    start = end
    used = count(text.slice(start, wordEnd))
    // One word over budget: cut it by characters, halving until a piece fits.
    while (used > budget) {
      let cut = wordEnd
      while (cut - start > 1 && count(text.slice(start, cut)) > budget)
        cut = start + Math.floor((cut - start) / 2)
      pieces.push(piece(text, start, cut, count, false))
      start = cut
      used = count(text.slice(start, wordEnd))
    }
    end = wordEnd
  }
  if (end > start) pieces.push(piece(text, start, end, count, pieces.length === 0 && unit.opensParagraph))
  // Pieces start after the whitespace that separated them from the previous one.
  return pieces.flatMap((p) => {
    const slice = text.slice(p.start, p.end)
    const lead = slice.length - slice.trimStart().length
    const body = slice.trim()
    return body === '' ? [] : [{ ...p, start: p.start + lead, end: p.start + lead + body.length }]
  })
}

function piece(text: string, start: number, end: number, count: CountTokens, opensParagraph: boolean): Unit {
  return { start, end, tokens: count(text.slice(start, end)), opensParagraph }
}
