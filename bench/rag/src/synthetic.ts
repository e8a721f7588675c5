// Synthetic text for the speed half: words drawn from a collection's vocabulary with their
// frequencies in it (so full text sees a natural, skewed distribution), four sentences a
// paragraph, sized so one paragraph is one chunk at 100 tokens. Seeded: every run writes the same.
import type { BeirDocument } from './beir.ts'

/** mulberry32: a small seeded generator, enough for text that only has to look alike run to run. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

export interface Vocabulary {
  words: string[]
  /** Running totals of the words' counts, for sampling by frequency. */
  cumulative: number[]
}

export function vocabularyOf(documents: readonly BeirDocument[]): Vocabulary {
  const counts = new Map<string, number>()
  for (const doc of documents)
    for (const word of `${doc.title} ${doc.text}`.toLowerCase().match(/[a-z]{2,}/g) ?? [])
      counts.set(word, (counts.get(word) ?? 0) + 1)
  const words = [...counts.keys()].sort()
  let total = 0
  const cumulative = words.map((word) => (total += counts.get(word) as number))
  if (words.length === 0) throw new Error('the collection has no words to make synthetic text of')
  return { words, cumulative }
}

export function sampleWord(vocabulary: Vocabulary, random: () => number): string {
  const { words, cumulative } = vocabulary
  const target = random() * (cumulative[cumulative.length - 1] as number)
  let lo = 0
  let hi = cumulative.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((cumulative[mid] as number) > target) hi = mid
    else lo = mid + 1
  }
  return words[lo] as string
}

export function sentence(vocabulary: Vocabulary, random: () => number, words: number): string {
  const text = Array.from({ length: words }, () => sampleWord(vocabulary, random)).join(' ')
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}.`
}

/**
 * A paragraph of four sentences of 12 to 16 words: 60 to 80 o200k tokens for Cranfield's words
 * (1.2 a word), so it fits a 100-token chunk and two do not.
 */
export function paragraph(vocabulary: Vocabulary, random: () => number): string {
  return Array.from({ length: 4 }, () => sentence(vocabulary, random, 12 + Math.floor(random() * 5))).join(
    ' ',
  )
}
